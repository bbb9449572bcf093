import Foundation

/// A notification as the contract shows it: `{id, type, conversationId, seq, actorId, preview, createdAt, read}`,
/// with `seq` `null` for `added_to_conversation`. The notification service lists it; chat sends it in `notification`
/// frames (from ``NotificationCreated``).
public struct UserNotification: Codable, Sendable, Equatable {
    /// What the notification tells.
    public enum Kind: String, Codable, Sendable {
        case message
        case mention
        case addedToConversation = "added_to_conversation"
    }

    public let id: String
    public let type: Kind
    public let conversationId: String
    public let seq: Int64?
    public let actorId: String
    public let preview: String
    /// RFC 3339, UTC, milliseconds.
    public let createdAt: String
    public let read: Bool

    public init(id: String, type: Kind, conversationId: String, seq: Int64?, actorId: String, preview: String, createdAt: String, read: Bool) {
        self.id = id
        self.type = type
        self.conversationId = conversationId
        self.seq = seq
        self.actorId = actorId
        self.preview = preview
        self.createdAt = createdAt
        self.read = read
    }

    private enum CodingKeys: String, CodingKey {
        case id, type, conversationId, seq, actorId, preview, createdAt, read
    }

    /// Writes a missing `seq` as `null` rather than leaving it out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(type, forKey: .type)
        try container.encode(conversationId, forKey: .conversationId)
        try container.encode(seq, forKey: .seq)
        try container.encode(actorId, forKey: .actorId)
        try container.encode(preview, forKey: .preview)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(read, forKey: .read)
    }
}
