import ChatEvents
import Foundation

/// What one chat event means for notifications: who is told what about which conversation.
///
/// - `message.created`: every recipient (members − sender); `mention` for those named as `@username`, `message` for
///   the others.
/// - `conversation.created`: `added_to_conversation` for every member except the creator.
/// - `member.added`: `added_to_conversation` for the added user, unless they added themselves.
///
/// Membership notifications use seq 0 in the dedupe key, so a user is told once per conversation that they were
/// added, however many events say so. Other events mean nothing here.
struct NotificationPlan: Sendable {
    /// Longest preview, in characters, cut from the message body.
    static let previewLength = 140
    /// The event types that can notify anyone; the rest of the topics (this service's own `notification.created`,
    /// chat's realtime signals, renames, removals) need not be decoded.
    static let eventTypes: Set<String> = [MessageCreated.eventType, ConversationCreated.eventType, MemberAdded.eventType]

    let conversationId: String
    /// The message's seq; 0 for membership notifications.
    let seq: Int64
    let actorId: String
    let preview: String
    let createdAt: Date
    /// Each user to tell, with what kind of notification.
    let recipients: [(userId: String, kind: NotificationItem.Kind)]
    /// The trace of the event's record (its `traceparent` header), which the pushes continue.
    var traceparent: String?

    /// The plan for `event`, nil when it notifies nobody.
    init?(_ event: ChatEvent) {
        switch event {
        case .messageCreated(let envelope):
            let message = envelope.payload
            let mentioned = Set(message.mentionedUserIds)
            var seen: Set<UUID> = []
            let recipients = message.recipientIds.filter { $0 != message.senderId && seen.insert($0).inserted }
            self.init(
                conversationId: message.conversationId, seq: message.seq, actorId: message.senderId,
                preview: Self.preview(of: message), createdAt: message.createdAt,
                recipients: recipients.map { (Self.text($0), mentioned.contains($0) ? .mention : .message) })
        case .conversationCreated(let envelope):
            let conversation = envelope.payload
            var seen: Set<UUID> = []
            let added = conversation.memberIds.filter { $0 != conversation.createdBy && seen.insert($0).inserted }
            self.init(
                conversationId: conversation.conversationId, seq: 0, actorId: conversation.createdBy,
                preview: conversation.title ?? "", createdAt: envelope.occurredAt,
                recipients: added.map { (Self.text($0), .addedToConversation) })
        case .memberAdded(let envelope):
            let member = envelope.payload
            guard member.userId != member.addedBy else { return nil }
            self.init(
                conversationId: member.conversationId, seq: 0, actorId: member.addedBy, preview: "",
                createdAt: envelope.occurredAt, recipients: [(Self.text(member.userId), .addedToConversation)])
        case .conversationRenamed, .memberRemoved, .notificationCreated, .sessionRevoked, .unsupported:
            return nil
        }
        if recipients.isEmpty { return nil }
    }

    private init(
        conversationId: UUID, seq: Int64, actorId: UUID, preview: String, createdAt: Date,
        recipients: [(String, NotificationItem.Kind)]
    ) {
        self.conversationId = Self.text(conversationId)
        self.seq = seq
        self.actorId = Self.text(actorId)
        self.preview = preview
        self.createdAt = createdAt
        self.recipients = recipients.map { (userId: $0.0, kind: $0.1) }
    }

    /// Ids as the product writes them: lowercased UUID strings.
    static func text(_ id: UUID) -> String { id.uuidString.lowercased() }

    private static func preview(of message: MessageCreated) -> String {
        let body = message.body.trimmingCharacters(in: .whitespacesAndNewlines)
        if body.isEmpty && !message.attachmentIds.isEmpty { return "(attachment)" }
        return body.count > previewLength ? String(body.prefix(previewLength - 1)) + "…" : body
    }
}
