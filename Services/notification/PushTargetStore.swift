import Foundation
import Hummingbird
import Postgres
import ServiceKit

/// A user's push targets (webhooks) in `push_targets`. Each user may have at most ``maximumPerUser``.
struct PushTargetStore: Sendable {
    static let maximumPerUser = 20

    let postgres: PostgresClient

    /// A push target as the contract shows it: `{id, url, createdAt}` (the secret is never shown again).
    struct Target: Codable, ResponseEncodable, Sendable {
        let id: String
        let url: String
        let createdAt: String

        static let columns = "id::text AS id, url, created_at"

        init(row: PostgresRow) throws {
            id = try row.decode("id")
            url = try row.decode("url")
            createdAt = RFC3339.string(from: try row.decode("created_at", as: Date.self))
        }
    }

    /// Adds a target for `userId`; 409 `conflict` when the user already has ``maximumPerUser``. The count check and
    /// the insert are one statement under a lock on the user's targets, so concurrent adds cannot exceed it.
    func add(userId: String, url: String, secret: String) async throws -> Target {
        let limit = String(Self.maximumPerUser)
        let rows = try await postgres.transaction { transaction in
            try transaction.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7204611318))", [userId])
            return try transaction.query(
                """
                INSERT INTO push_targets (user_id, url, secret)
                SELECT $1, $2, $3 WHERE (SELECT count(*) FROM push_targets WHERE user_id = $1) < $4::bigint
                RETURNING \(Target.columns)
                """, [userId, url, secret, limit])
        }
        guard let row = rows.first else {
            throw APIError.conflict("a user may have at most \(Self.maximumPerUser) push targets")
        }
        return try Target(row: row)
    }

    /// `userId`'s targets, oldest first.
    func list(userId: String) async throws -> [Target] {
        try await postgres.query(
            "SELECT \(Target.columns) FROM push_targets WHERE user_id = $1 ORDER BY created_at, id", [userId]
        ).map(Target.init(row:))
    }

    /// Deletes `userId`'s target `id` and its pending pushes; false when the user has no such target.
    func delete(userId: String, id: UUID) async throws -> Bool {
        !(try await postgres.query(
            "DELETE FROM push_targets WHERE id = $1::uuid AND user_id = $2 RETURNING 1", [id.uuidString.lowercased(), userId]
        ).isEmpty)
    }
}
