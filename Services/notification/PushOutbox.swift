import Foundation
import Postgres
import ServiceKit

/// The pushes still to make, in `push_deliveries`, shared by every instance.
///
/// A worker claims due pushes with `FOR UPDATE SKIP LOCKED` (instances never claim the same one) and hides each for
/// a lease by moving its `next_attempt_at`; a push whose worker died before finishing becomes due again when the lease
/// ends and is made again with the same delivery id. A finished push is deleted.
struct PushOutbox: Sendable {
    let postgres: PostgresClient

    /// One claimed push: the notification, where to send it and how to sign it.
    struct Pending: Sendable {
        let deliveryId: String
        /// This attempt's number, from 1.
        let attempt: Int
        let targetId: String
        let url: String
        let secret: String
        let userId: String
        let notification: NotificationItem
        /// The trace the push continues (the event's), if any.
        let traceparent: String?
    }

    /// Claims up to `limit` due pushes for `lease`, counting the attempt now.
    func claim(limit: Int, lease: Duration) async throws -> [Pending] {
        let rows = try await postgres.query(
            """
            WITH due AS (
                SELECT notification_id, target_id FROM push_deliveries
                WHERE next_attempt_at <= now()
                ORDER BY next_attempt_at
                LIMIT $1
                FOR UPDATE SKIP LOCKED
            ),
            claimed AS (
                UPDATE push_deliveries d
                SET attempts = d.attempts + 1, next_attempt_at = now() + $2::bigint * interval '1 millisecond'
                FROM due
                WHERE d.notification_id = due.notification_id AND d.target_id = due.target_id
                RETURNING d.notification_id, d.target_id, d.delivery_id, d.attempts
            )
            SELECT c.delivery_id::text AS delivery_id, c.attempts, t.id::text AS target_id, t.url, t.secret, n.user_id,
                   n.id::text AS id, n.type, n.conversation_id, n.seq, n.actor_id, n.preview, n.created_at,
                   n.read_at IS NOT NULL AS read, n.traceparent
            FROM claimed c
            JOIN push_targets t ON t.id = c.target_id
            JOIN notifications n ON n.id = c.notification_id
            """, [String(limit), String(lease.milliseconds)])
        return try rows.map { row in
            Pending(
                deliveryId: try row.decode("delivery_id"), attempt: try row.decode("attempts"),
                targetId: try row.decode("target_id"), url: try row.decode("url"), secret: try row.decode("secret"),
                userId: try row.decode("user_id"), notification: try NotificationItem(row: row),
                traceparent: try row.decode("traceparent", as: String?.self))
        }
    }

    /// The push was made (or given up on): forget it.
    func finish(_ push: Pending) async throws {
        try await postgres.query("DELETE FROM push_deliveries WHERE delivery_id = $1::uuid", [push.deliveryId])
    }

    /// The attempt failed and may be repeated after `delay`.
    func retry(_ push: Pending, after delay: Duration, error: String) async throws {
        try await postgres.query(
            """
            UPDATE push_deliveries SET next_attempt_at = now() + $2::bigint * interval '1 millisecond', last_error = $3
            WHERE delivery_id = $1::uuid
            """, [push.deliveryId, String(delay.milliseconds), String(error.prefix(500))])
    }

    /// The target is gone for good (410): delete it with its pending pushes.
    func removeTarget(of push: Pending) async throws {
        try await postgres.query("DELETE FROM push_targets WHERE id = $1::uuid", [push.targetId])
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
