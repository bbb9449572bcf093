import Foundation
import Postgres
import ServiceKit

/// Notifications in the `notifications` table: stored from events (together with their pushes), listed, counted
/// and marked read.
struct NotificationStore: Sendable {
    let postgres: PostgresClient

    /// Stores `batch`'s rows for recipients who did not mute the conversation, in one statement; returns the rows
    /// this call stored (their id and ``NotificationBatch/Row/identity``).
    ///
    /// A row already stored (same user, conversation, seq and type: a redelivered event) is not stored again. For
    /// each new row of an offline recipient, one pending push per push target of theirs enters the outbox in the same
    /// statement, so a push exists if and only if its notification does.
    func store(_ batch: NotificationBatch) async throws -> [(id: String, identity: String)] {
        guard !batch.rows.isEmpty else { return [] }
        let json = String(decoding: try JSONEncoder().encode(batch.rows), as: UTF8.self)
        let rows = try await postgres.query(
            """
            WITH planned AS (
                SELECT p.* FROM jsonb_to_recordset($1::jsonb) AS p(
                    user_id text, type text, online boolean, conversation_id text, seq bigint, actor_id text, preview text,
                    created_at timestamptz, traceparent text)
                WHERE NOT EXISTS (SELECT 1 FROM mutes m WHERE m.conversation_id = p.conversation_id AND m.user_id = p.user_id)
            ),
            inserted AS (
                INSERT INTO notifications (user_id, type, conversation_id, seq, actor_id, preview, created_at, traceparent)
                SELECT user_id, type, conversation_id, seq, actor_id, preview, created_at, traceparent FROM planned
                ON CONFLICT ON CONSTRAINT notifications_once DO NOTHING
                RETURNING id, user_id, type, conversation_id, seq
            ),
            outbox AS (
                INSERT INTO push_deliveries (notification_id, target_id, delivery_id)
                SELECT i.id, t.id, md5(i.id::text || ':' || t.id::text)::uuid
                FROM inserted i
                JOIN planned p ON p.user_id = i.user_id AND p.conversation_id = i.conversation_id AND p.seq = i.seq
                    AND p.type = i.type AND NOT p.online
                JOIN push_targets t ON t.user_id = i.user_id
                RETURNING 1
            )
            SELECT i.id::text AS id, i.user_id || '|' || i.conversation_id || '|' || i.seq || '|' || i.type AS identity,
                (SELECT count(*) FROM outbox) AS pushes
            FROM inserted i
            """, [json])
        return try rows.map { (id: try $0.decode("id"), identity: try $0.decode("identity")) }
    }

    /// A page of `userId`'s notifications, newest first, after `page`'s position; at most `page.limit` + 1 rows so
    /// that a further page shows.
    func list(userId: String, page: NotificationPageRequest) async throws -> [NotificationItem] {
        let rows: [PostgresRow]
        if let after = try page.start() {
            rows = try await postgres.query(
                """
                SELECT \(NotificationItem.columns) FROM notifications
                WHERE user_id = $1 AND (created_at, id) < ($2::timestamptz, $3::uuid)
                ORDER BY created_at DESC, id DESC
                LIMIT $4
                """, [userId, after.createdAt, after.id, String(page.fetchLimit)])
        } else {
            rows = try await postgres.query(
                """
                SELECT \(NotificationItem.columns) FROM notifications
                WHERE user_id = $1
                ORDER BY created_at DESC, id DESC
                LIMIT $2
                """, [userId, String(page.fetchLimit)])
        }
        return try rows.map(NotificationItem.init(row:))
    }

    /// How many of `userId`'s notifications are unread.
    func unreadCount(userId: String) async throws -> Int {
        let rows = try await postgres.query(
            "SELECT count(*) AS unread FROM notifications WHERE user_id = $1 AND read_at IS NULL", [userId])
        return try rows.first?.decode("unread", as: Int.self) ?? 0
    }

    /// Marks `ids` read; 404 `not_found`, changing nothing, when one of them is not a notification of `userId`.
    func markRead(userId: String, ids: Set<UUID>) async throws {
        let array = PostgresArray.literal(ids.map { $0.uuidString.lowercased() })
        // One statement: the update happens only when every id is the user's.
        let rows = try await postgres.query(
            """
            WITH owned AS (SELECT id FROM notifications WHERE user_id = $1 AND id = ANY($2::uuid[])),
            updated AS (
                UPDATE notifications SET read_at = coalesce(read_at, now())
                WHERE id IN (SELECT id FROM owned) AND (SELECT count(*) FROM owned) = $3::bigint
                RETURNING 1)
            SELECT (SELECT count(*) FROM owned) AS owned, (SELECT count(*) FROM updated) AS updated
            """, [userId, array, String(ids.count)])
        guard try rows.first?.decode("owned", as: Int.self) == ids.count else {
            throw APIError.notFound("no such notification")
        }
    }

    /// Marks every notification of `userId` read.
    func markAllRead(userId: String) async throws {
        try await postgres.query("UPDATE notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL", [userId])
    }
}
