import IdentityData
import ServiceKit

/// Where a page of a list of users starts. Lists of users are ordered by lowercased username (unique); a search's
/// cursor also carries its query, so following it pages the same search whatever `?query=` says.
struct UserListPosition: Codable, Sendable {
    /// The lowercased username of the last user served.
    let after: String
    /// The search prefix, for `GET /v1/users`; nil for contacts and blocks.
    let query: String?

    /// The position after `user` in a listing of `query`.
    init(after user: UserRecord, query: String? = nil) {
        self.after = user.username.lowercased()
        self.query = query
    }
}

/// The paging of a list of users.
typealias UserPageRequest = PageRequest<UserListPosition>

extension UserPageRequest {
    /// The lowercased username after which the page starts ("" for a first page).
    var after: String { cursor?.after ?? "" }

    /// The page of `rows` (fetched with ``fetchLimit``) of a listing of `query`.
    func page(_ rows: [UserRecord], query: String? = nil) throws -> Page<UserRecord> {
        try page(rows, item: { $0 }, position: { UserListPosition(after: $0, query: query) })
    }
}
