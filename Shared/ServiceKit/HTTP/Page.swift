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
