import ChatEvents
import Foundation
import Hummingbird
import Postgres
import ServiceKit

/// A notification as the contract shows it (``UserNotification``), read from the `notifications` table.
typealias NotificationItem = UserNotification

extension UserNotification: ResponseEncodable {
    /// The columns ``init(row:)`` reads, for a `SELECT` list on `notifications`.
    static let columns = """
        id::text AS id, type, conversation_id, seq, actor_id, preview, created_at, read_at IS NOT NULL AS read
        """

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
}
