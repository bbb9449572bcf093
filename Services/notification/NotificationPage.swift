import Foundation
import Hummingbird
import Kafka
import ServiceKit

/// The contract's list paging for notifications: `?limit=` (default 50, 1–200) and an opaque `?cursor=`, answered
/// as `{"items": [...], "nextCursor": "..."|null}`.
///
/// Notifications are listed newest first by (createdAt, id); a cursor is the base64url of `<createdAt>|<id>` of the
/// last one served. Stored times have millisecond precision, so the RFC 3339 text is exact.
struct NotificationPage: Sendable {
    /// The position after which a page starts.
    struct Position: Sendable {
        let createdAt: String
        let id: String
    }

    let limit: Int
    /// Nil for the first page.
    let after: Position?

    /// The paging of `request`; 400 `invalid_request` for a bad limit or cursor.
    init(_ request: Request) throws {
        let parameters = request.uri.queryParameters
        limit = try request.pageLimit()
        guard let cursor = parameters.get("cursor"), !cursor.isEmpty else {
            after = nil
            return
        }
        guard cursor.utf8.count <= 200, let bytes = Base64URL.decode(cursor), let text = String(bytes: bytes, encoding: .utf8)
        else { throw APIError.invalidRequest("invalid cursor") }
        let parts = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, let id = UUID(uuidString: parts[1]),
              RFC3339.date(from: parts[0]) != nil
        else { throw APIError.invalidRequest("invalid cursor") }
        after = Position(createdAt: parts[0], id: id.uuidString.lowercased())
    }

    /// The page for `rows`, fetched with a limit of ``limit`` + 1 so that a further page shows.
    func page(_ rows: [NotificationItem]) -> Page<NotificationItem> {
        let items = Array(rows.prefix(limit))
        let next = rows.count > limit ? items.last.map { Base64URL.encode(Array("\($0.createdAt)|\($0.id)".utf8)) } : nil
        return Page(items: items, nextCursor: next)
    }
}
