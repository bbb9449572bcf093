import IdentityData
import Postgres
import ServiceKit

/// Accounts in the `identity` database: the profile row and the password hash, written together.
struct AccountStore: Sendable {
    let postgres: PostgresClient
    let refreshTokens: RefreshTokens

    /// Creates the user (profile and credentials) and its first refresh-token family in one transaction, so the
    /// profile is readable by the user service as soon as this returns. 409 when the username is taken in any case.
    func register(username: String, displayName: String, passwordHash: String) async throws -> (user: UserRecord, refresh: RefreshTokens.Started) {
        let id = UserIdentifier.make()
        do {
            return try await postgres.transaction { transaction in
                let rows = try transaction.query(
                    """
                    INSERT INTO users (id, username, username_lower, display_name) VALUES ($1, $2, $3, $4)
                    RETURNING \(UserRecord.columns)
                    """, [id, username, username.lowercased(), displayName])
                try transaction.query("INSERT INTO credentials (user_id, password_hash) VALUES ($1, $2)", [id, passwordHash])
                let user = try UserRecord(row: rows[0])
                return (user, try refreshTokens.startFamily(userId: id, in: transaction))
            }
        } catch let error as PostgresError where error.kind == .uniqueViolation {
            throw APIError.conflict("username is taken")
        }
    }

    /// The user named `username` (any case) and their password hash, nil when there is none.
    func credentials(username: String) async throws -> (user: UserRecord, passwordHash: String)? {
        let rows = try await postgres.query(
            """
            SELECT \(UserRecord.columns(qualifiedBy: "u")), c.password_hash
            FROM users u JOIN credentials c ON c.user_id = u.id
            WHERE u.username_lower = $1
            """, [username.lowercased()])
        guard let row = rows.first else { return nil }
        return (try UserRecord(row: row), try row.decode("password_hash"))
    }
}
