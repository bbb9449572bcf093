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
