import IdentityData
import Postgres
import ServiceKit

/// A user's contacts and the users they block: both are sets of other users, kept in `contacts` and `blocks`.
struct ContactsAndBlocks: Sendable {
    /// Which of the two sets.
    enum Relation: Sendable {
        case contacts
        case blocks

        /// Table and columns: fixed names, never from a request.
        var table: String { self == .contacts ? "contacts" : "blocks" }
        var ownerColumn: String { self == .contacts ? "owner_id" : "blocker_id" }
        var otherColumn: String { self == .contacts ? "contact_id" : "blocked_id" }
    }

    let postgres: PostgresClient

    /// Adds `other` to `owner`'s set (again is fine); 404 when `other` does not exist, 400 for oneself.
    func add(_ relation: Relation, owner: String, other: String) async throws {
        guard owner != other else { throw APIError.invalidRequest("a user cannot add themselves") }
        do {
            try await postgres.query(
                """
                INSERT INTO \(relation.table) (\(relation.ownerColumn), \(relation.otherColumn)) VALUES ($1, $2)
                ON CONFLICT DO NOTHING
                """, [owner, other])
        } catch let error as PostgresError where error.kind == .foreignKeyViolation {
            throw APIError.notFound("no such user")
        }
    }

    /// Removes `other` from `owner`'s set (absent is fine); 404 when `other` does not exist.
    func remove(_ relation: Relation, owner: String, other: String) async throws {
        let rows = try await postgres.query(
            """
            WITH removed AS (
                DELETE FROM \(relation.table) WHERE \(relation.ownerColumn) = $1 AND \(relation.otherColumn) = $2 RETURNING 1)
            SELECT EXISTS (SELECT 1 FROM users WHERE id = $2) AS known
            """, [owner, other])
        guard try rows.first?.decode("known", as: Bool.self) == true else { throw APIError.notFound("no such user") }
    }

    /// A page of `owner`'s set, ordered by lowercased username.
    func list(_ relation: Relation, owner: String, page: UserPageRequest) async throws -> [UserRecord] {
        try await postgres.query(
            """
            SELECT \(UserRecord.columns(qualifiedBy: "u"))
            FROM \(relation.table) r JOIN users u ON u.id = r.\(relation.otherColumn)
            WHERE r.\(relation.ownerColumn) = $1 AND u.username_lower > $2
            ORDER BY u.username_lower
            LIMIT $3
            """, [owner, page.after, String(page.fetchLimit)]
        ).map(UserRecord.init(row:))
    }
}
