import Foundation
import ServiceKit

/// `notification.created` v1 on `chat.events`: the notification service stored a notification for a user; chat
/// instances holding that user's WebSockets send it as a `notification` frame.
public struct NotificationCreated: ConversationEventPayload {
    public static let eventType = "notification.created"
    public static let version = 1
    public static let topic = KafkaTopic.events

    /// The conversation the notification is about (the record key).
    public let conversationId: UUID
    public let userId: UUID
    public let notificationId: String
    /// `message`, `mention` or `added_to_conversation`.
    public let kind: String
    public let seq: Int64?
    public let actorId: UUID
    public let preview: String
    public let createdAt: Date

    public init(
        conversationId: UUID, userId: UUID, notificationId: String, kind: String, seq: Int64?, actorId: UUID,
        preview: String, createdAt: Date
    ) {
        self.conversationId = conversationId
        self.userId = userId
        self.notificationId = notificationId
        self.kind = kind
        self.seq = seq
        self.actorId = actorId
        self.preview = preview
        self.createdAt = createdAt
    }

    /// The notification as the contract shows it, unread.
    public var notification: UserNotification {
        UserNotification(
            id: notificationId, type: UserNotification.Kind(rawValue: kind) ?? .message,
            conversationId: conversationId.uuidString.lowercased(), seq: seq, actorId: actorId.uuidString.lowercased(),
            preview: preview, createdAt: RFC3339.string(from: createdAt), read: false)
    }
}
