import Foundation
import Hummingbird
import ServiceKit

/// The contract's list paging: `?limit=` (default 50, 1–200) and an opaque `?cursor=`, answered as
/// `{"items": [...], "nextCursor": "..."|null}`.
///
/// Lists of users are ordered by lowercased username (unique); a cursor is the base64url of the last one served.
struct PageRequest: Sendable {
    let limit: Int
    /// The lowercased username after which the page starts.
    let after: String

    /// The paging of `request`; 400 `invalid_request` for a bad limit or cursor.
    init(_ request: Request) throws {
        let parameters = request.uri.queryParameters
        limit = try request.pageLimit()
        if let cursor = parameters.get("cursor"), !cursor.isEmpty {
            guard let bytes = Base64URL.decode(cursor), let after = String(bytes: bytes, encoding: .utf8),
                  !after.isEmpty, after.utf8.count <= 64
            else { throw APIError.invalidRequest("invalid cursor") }
            self.after = after
        } else {
            after = ""
        }
    }

    /// The page for `rows`, fetched with a limit of ``limit`` + 1 so that a further page shows.
    func page(_ rows: [UserRecord]) -> Page<UserRecord> {
        let items = Array(rows.prefix(limit))
        let next = rows.count > limit ? items.last.map { Base64URL.encode(Array($0.username.lowercased().utf8)) } : nil
        return Page(items: items, nextCursor: next)
    }
}
