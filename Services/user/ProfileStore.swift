import IdentityData
import Postgres
import ServiceKit

/// Profiles in the `identity` database's `users` table (rows created by auth at registration).
struct ProfileStore: Sendable {
    let postgres: PostgresClient

    /// The user with `id`, nil when there is none.
    func user(id: String) async throws -> UserRecord? {
        try await postgres.query("SELECT \(UserRecord.columns) FROM users WHERE id = $1", [id]).first.map(UserRecord.init(row:))
    }

    /// Applies `patch` to the user `id`; nil when there is no such user.
    ///
    /// The avatar is stored as the attachment id: attachments belong to the chat service, which alone can turn one
    /// into a URL, so `avatarUrl` stays as it is until chat publishes avatars; clearing the attachment clears both.
    func update(id: String, with patch: ProfilePatch) async throws -> UserRecord? {
        var assignments: [String] = []
        var parameters: [String?] = [id]
        func assign(_ column: String, _ value: String?) {
            parameters.append(value)
            assignments.append("\(column) = $\(parameters.count)")
        }
        if let displayName = patch.displayName { assign("display_name", displayName) }
        switch patch.bio {
        case .keep: break
        case .clear: assign("bio", nil)
        case .set(let bio): assign("bio", bio)
        }
        switch patch.avatarAttachmentId {
        case .keep: break
        case .clear:
            assign("avatar_attachment_id", nil)
            assign("avatar_url", nil)
        case .set(let attachmentId): assign("avatar_attachment_id", attachmentId)
        }
        guard !assignments.isEmpty else { return try await user(id: id) }
        let rows = try await postgres.query(
            "UPDATE users SET \(assignments.joined(separator: ", ")) WHERE id = $1 RETURNING \(UserRecord.columns)", parameters)
        return try rows.first.map(UserRecord.init(row:))
    }

    /// Users whose username or display name starts with `prefix`, ignoring case, ordered by lowercased username,
    /// after `page.after`; at most `page.limit` + 1 rows so that a further page shows. Both conditions use the
    /// `text_pattern_ops` indexes on the lowercased columns.
    func search(prefix: String, page: UserPageRequest) async throws -> [UserRecord] {
        let pattern = Self.likeEscaped(prefix)
        return try await postgres.query(
            """
            SELECT \(UserRecord.columns) FROM users
            WHERE (username_lower LIKE lower($1) || '%' OR lower(display_name) LIKE lower($1) || '%')
              AND username_lower > $2
            ORDER BY username_lower
            LIMIT $3
            """, [pattern, page.after, String(page.fetchLimit)]
        ).map(UserRecord.init(row:))
    }

    /// `text` with LIKE's wildcards and escape character taken literally.
    static func likeEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "\\" || character == "%" || character == "_" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
