import Foundation
import Hummingbird

/// A page of a list, as the contract writes every list: `{"items": [...], "nextCursor": "..."|null}` (the cursor
/// is written as `null`, not left out, on the last page).
public struct Page<Item: Encodable & Sendable>: ResponseEncodable, Sendable {
    public let items: [Item]
    public let nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    private enum CodingKeys: String, CodingKey { case items, nextCursor }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}

/// One list request's paging: `?limit=` (50 when absent, 1 to ``Request/maximumPageLimit``) and the opaque
/// `?cursor=` of a previous page.
///
/// A cursor carries everything that places the next page, as `Position` (for a list that pages both ways, the
/// direction too): when one is given it decides, whatever else the query says, so a client that follows it alone
/// and one that adds it to its first query get the same page. The text is base64url of the position's JSON; one
/// that does not decode answers 400 `invalid_request`, never a server error.
public struct PageRequest<Position: Codable & Sendable>: Sendable {
    public let limit: Int
    /// Where the page starts; nil for a first page.
    public let cursor: Position?

    /// The longest cursor text accepted.
    static var maximumCursorLength: Int { 1024 }

    /// The paging of `request`; 400 `invalid_request` for a bad limit or cursor.
    public init(_ request: Request) throws {
        limit = try request.pageLimit()
        guard let text = request.uri.queryParameters.get("cursor"), !text.isEmpty else {
            cursor = nil
            return
        }
        guard text.utf8.count <= Self.maximumCursorLength, let json = Base64URL.decode(text),
            let position = try? JSONDecoder().decode(Position.self, from: Data(json))
        else { throw APIError.invalidRequest("invalid cursor") }
        cursor = position
    }

    /// How many rows to fetch: one more than the page holds, so that a further page shows.
    public var fetchLimit: Int { limit + 1 }

    /// The page of `rows` (fetched with ``fetchLimit``), with the cursor of the next page when there is one.
    public func page<Row, Item: Encodable & Sendable>(
        _ rows: [Row], item: (Row) throws -> Item, position: (Row) -> Position
    ) throws -> Page<Item> {
        let served = rows.prefix(limit)
        let next = try rows.count > limit ? served.last.map { try Self.cursorText(position($0)) } : nil
        return Page(items: try served.map(item), nextCursor: next)
    }

    /// The opaque text of `position`.
    public static func cursorText(_ position: Position) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Base64URL.encode(try encoder.encode(position))
    }
}

extension Request {
    /// The largest page the contract allows.
    public static let maximumPageLimit = 200

    /// The contract's page size, `?limit=`: 50 when absent, else an integer from 1 to ``maximumPageLimit``;
    /// 400 `invalid_request` otherwise.
    public func pageLimit() throws -> Int {
        guard let text = uri.queryParameters.get("limit") else { return 50 }
        guard let limit = Int(text), (1...Self.maximumPageLimit).contains(limit) else {
            throw APIError.invalidRequest("limit must be an integer from 1 to \(Self.maximumPageLimit)")
        }
        return limit
    }
}
