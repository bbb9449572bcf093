import Foundation
import Hummingbird
import Postgres
import ServiceKit

/// A user as the contract shows it: `{id, username, displayName, bio, avatarUrl, createdAt}`, with `null` for an
/// unset bio or avatar. auth answers it from register, login and refresh; user from the `/v1/users` routes.
public struct UserRecord: Codable, ResponseEncodable, Sendable, Equatable {
    /// Opaque and sortable by creation time (UUIDv7).
    public let id: String
    /// As the user typed it at registration; unique regardless of case.
    public let username: String
    /// Defaults to the username.
    public let displayName: String
    /// Free text of at most 500 characters, nil when unset.
    public let bio: String?
    /// Where the avatar image is served, nil when unset.
    public let avatarUrl: String?
    /// RFC 3339, UTC, milliseconds.
    public let createdAt: String

    /// A user with the given fields, as they are shown.
    public init(id: String, username: String, displayName: String, bio: String?, avatarUrl: String?, createdAt: String) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.bio = bio
        self.avatarUrl = avatarUrl
        self.createdAt = createdAt
    }

    private static let columnNames = ["id", "username", "display_name", "bio", "avatar_url", "created_at"]

    /// The `users` columns ``init(row:)`` reads, for a `SELECT` list.
    public static let columns = columnNames.joined(separator: ", ")

    /// ``columns`` qualified by `alias` (`u.id, u.username, …`), for queries that join `users AS alias`.
    public static func columns(qualifiedBy alias: String) -> String {
        columnNames.map { "\(alias).\($0)" }.joined(separator: ", ")
    }

    /// The user in a row holding ``columns``.
    public init(row: PostgresRow) throws {
        self.init(
            id: try row.decode("id"), username: try row.decode("username"), displayName: try row.decode("display_name"),
            bio: try row.decode("bio", as: String?.self), avatarUrl: try row.decode("avatar_url", as: String?.self),
            createdAt: RFC3339.string(from: try row.decode("created_at", as: Date.self)))
    }

    private enum CodingKeys: String, CodingKey {
        case id, username, displayName, bio, avatarUrl, createdAt
    }

    /// Writes unset optional fields as `null` rather than leaving them out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(username, forKey: .username)
        try container.encode(displayName, forKey: .displayName)
        try container.encode(bio, forKey: .bio)
        try container.encode(avatarUrl, forKey: .avatarUrl)
        try container.encode(createdAt, forKey: .createdAt)
    }
}

extension UserRecord {
    /// Longest display name, in characters.
    public static let displayNameLimit = 64

    /// `name` trimmed of surrounding white space, or 400 `invalid_request` unless it is 1–64 characters without
    /// control, bidirectional-override or zero-width characters (``TextRules/hasHiddenCharacters(_:)``).
    public static func validatedDisplayName(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...displayNameLimit).contains(trimmed.count), !TextRules.hasHiddenCharacters(trimmed) else {
            throw APIError.invalidRequest(
                "displayName must be 1–\(displayNameLimit) characters without control, bidirectional-override or zero-width characters")
        }
        return trimmed
    }
}
