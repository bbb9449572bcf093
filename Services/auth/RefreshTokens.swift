import Crypto
import Foundation
import IdentityData
import Postgres
import ServiceKit

/// Refresh tokens in PostgreSQL: 256 random bits (base64url) given to the client, of which only the SHA-256 is
/// stored, each in a family started by a login.
///
/// Every refresh marks the presented token used and issues its successor in the same family. Presenting a token that
/// was already used means it leaked (or its successor did): the whole family is revoked, so the thief's and the
/// owner's tokens all stop working and the owner must log in again. A family lives ``lifetime`` from its login;
/// rotation does not extend it.
struct RefreshTokens: Sendable {
    let postgres: PostgresClient
    let lifetime: Duration

    /// What presenting a refresh token led to.
    enum Rotation: Sendable {
        /// The successor token of `family`, for `user`.
        case rotated(token: String, family: String, user: UserRecord)
        /// Unknown, expired or of a revoked family.
        case invalid
        /// Already used: `family` of `userId` is now revoked.
        case reused(family: String, userId: String)
    }

    /// A new refresh token and the family it starts.
    struct Started: Sendable {
        let token: String
        let family: String
    }

    /// Starts a family for `userId` inside `transaction` (login, register); returns its first token.
    func startFamily(userId: String, in transaction: PostgresTransaction) throws -> Started {
        let familyId = UUID().uuidString.lowercased()
        let seconds = String(lifetime.components.seconds)
        try transaction.query(
            "INSERT INTO refresh_token_families (id, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3::bigint))",
            [familyId, userId, seconds])
        return Started(token: try insertToken(familyId: familyId, userId: userId, in: transaction), family: familyId)
    }

    /// Starts a family for `userId` in a transaction of its own.
    func startFamily(userId: String) async throws -> Started {
        try await postgres.transaction { try startFamily(userId: userId, in: $0) }
    }

    /// Uses `token`: rotates it when it is live and unused, revokes its family when it was used already.
    func rotate(_ token: String) async throws -> Rotation {
        let hash = Self.hash(token)
        return try await postgres.transaction { transaction in
            let rows = try transaction.query(
                """
                SELECT t.family_id, t.used_at IS NOT NULL AS used, t.expires_at > now() AS live,
                       f.revoked_at IS NULL AS active, \(UserRecord.columns(qualifiedBy: "u"))
                FROM refresh_tokens t
                JOIN refresh_token_families f ON f.id = t.family_id
                JOIN users u ON u.id = t.user_id
                WHERE t.token_hash = $1
                """, [hash])
            guard let row = rows.first, try row.decode("active", as: Bool.self) else { return .invalid }
            let familyId: String = try row.decode("family_id")
            let userId: String = try row.decode("id")
            if try row.decode("used", as: Bool.self) {
                try revokeFamily(familyId, reason: "reuse", in: transaction)
                return .reused(family: familyId, userId: userId)
            }
            guard try row.decode("live", as: Bool.self) else { return .invalid }
            // A concurrent use of the same token that committed first leaves nothing to update: that is reuse too.
            let marked = try transaction.query(
                "UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL RETURNING token_hash", [hash])
            guard !marked.isEmpty else {
                try revokeFamily(familyId, reason: "reuse", in: transaction)
                return .reused(family: familyId, userId: userId)
            }
            let user = try UserRecord(row: row)
            return .rotated(token: try insertToken(familyId: familyId, userId: user.id, in: transaction), family: familyId, user: user)
        }
    }

    /// Revokes the family of `token` if it belongs to `userId` (logout); returns the family, nil for an unknown
    /// token or one of someone else.
    func revokeFamily(of token: String, userId: String) async throws -> String? {
        let rows = try await postgres.query(
            """
            UPDATE refresh_token_families SET revoked_at = coalesce(revoked_at, now()), revoked_reason = coalesce(revoked_reason, 'logout')
            WHERE id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) AND user_id = $2
            RETURNING id
            """, [Self.hash(token), userId])
        return try rows.first?.decode("id")
    }

    private func revokeFamily(_ familyId: String, reason: String, in transaction: PostgresTransaction) throws {
        try transaction.query(
            "UPDATE refresh_token_families SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL",
            [familyId, reason])
    }

    /// A new token of the family, expiring with it.
    private func insertToken(familyId: String, userId: String, in transaction: PostgresTransaction) throws -> String {
        let token = Base64URL.encode((0..<32).map { _ in UInt8.random(in: .min ... .max) })
        try transaction.query(
            """
            INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at)
            SELECT $1, id, $3, expires_at FROM refresh_token_families WHERE id = $2
            """, [Self.hash(token), familyId, userId])
        return token
    }

    /// The stored form of `token`: lowercase hex SHA-256.
    static func hash(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
