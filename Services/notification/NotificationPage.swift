import Foundation
import ServiceKit

/// Where a page of a user's notifications starts: they are listed newest first by (createdAt, id), and a cursor
/// names the last one served. Stored times have millisecond precision, so the RFC 3339 text is exact.
struct NotificationListPosition: Codable, Sendable {
    let createdAt: String
    let id: String

    /// The position after `notification`.
    init(after notification: NotificationItem) {
        createdAt = notification.createdAt
        id = notification.id
    }

    /// Whether the fields are what the query needs (a tampered cursor answers 400, not a database error).
    var isWellFormed: Bool { UUID(uuidString: id) != nil && RFC3339.date(from: createdAt) != nil }
}

/// The paging of `GET /v1/notifications`.
typealias NotificationPageRequest = PageRequest<NotificationListPosition>

extension NotificationPageRequest {
    /// Where the page starts, nil for the first page; 400 `invalid_request` for a malformed cursor.
    func start() throws -> NotificationListPosition? {
        guard let cursor else { return nil }
        guard cursor.isWellFormed else { throw APIError.invalidRequest("invalid cursor") }
        return cursor
    }

    /// The page of `rows` (fetched with ``fetchLimit``).
    func page(_ rows: [NotificationItem]) throws -> Page<NotificationItem> {
        try page(rows, item: { $0 }, position: NotificationListPosition.init(after:))
    }
}
