import Foundation
import Hummingbird
import Postgres
import ServiceKit

/// A notification as the contract shows it: `{id, type, conversationId, seq, actorId, preview, createdAt, read}`,
/// with `seq` `null` for `added_to_conversation`.
struct NotificationItem: Codable, ResponseEncodable, Sendable, Equatable {
    /// `message`, `mention` or `added_to_conversation`.
    enum Kind: String, Codable, Sendable {
        case message
        case mention
        case addedToConversation = "added_to_conversation"
    }

    let id: String
    let type: Kind
    let conversationId: String
    let seq: Int64?
    let actorId: String
    let preview: String
    /// RFC 3339, UTC, milliseconds.
    let createdAt: String
    let read: Bool

    /// The columns ``init(row:)`` reads, for a `SELECT` list on `notifications`.
    static let columns = """
        id::text AS id, type, conversation_id, seq, actor_id, preview, created_at, read_at IS NOT NULL AS read
        """

    init(id: String, type: Kind, conversationId: String, seq: Int64?, actorId: String, preview: String, createdAt: String, read: Bool) {
        self.id = id
        self.type = type
        self.conversationId = conversationId
        self.seq = seq
        self.actorId = actorId
        self.preview = preview
        self.createdAt = createdAt
        self.read = read
    }

    /// The notification in a row holding ``columns``.
    init(row: PostgresRow) throws {
        let typeText: String = try row.decode("type")
        guard let type = Kind(rawValue: typeText) else {
            throw PostgresError(kind: .decoding, message: "unknown notification type \(typeText)")
        }
        self.init(
            id: try row.decode("id"), type: type, conversationId: try row.decode("conversation_id"),
            seq: type == .addedToConversation ? nil : try row.decode("seq", as: Int64.self),
            actorId: try row.decode("actor_id"), preview: try row.decode("preview"),
            createdAt: RFC3339.string(from: try row.decode("created_at", as: Date.self)), read: try row.decode("read"))
    }

    private enum CodingKeys: String, CodingKey {
        case id, type, conversationId, seq, actorId, preview, createdAt, read
    }

    /// Writes a missing `seq` as `null` rather than leaving it out.
    func encode(to encoder: any Encoder) throws {
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
