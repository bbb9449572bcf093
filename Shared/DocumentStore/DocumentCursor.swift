/// The documents of a ``DocumentCollection`` `find`, fetched one
/// batch at a time with range pagination: each batch asks for the documents past the last range value seen.
public struct DocumentCursor<Result: Decodable & Sendable>: AsyncSequence, Sendable {
    public typealias Element = Result

    let client: DocumentStoreClient
    let collection: String
    let filter: DocumentFilter
    let rangeField: String
    let order: SortOrder
    let limit: Int?
    let projection: [String]?
    let batchSize: Int

    init(
        client: DocumentStoreClient, collection: String, filter: DocumentFilter, rangeField: String, order: SortOrder,
        limit: Int?, projection: [String]?, batchSize: Int
    ) {
        precondition(batchSize > 0, "a batch holds at least one document")
        self.client = client
        self.collection = collection
        self.filter = filter
        self.rangeField = rangeField
        self.order = order
        self.limit = limit
        self.projection = projection
        self.batchSize = batchSize
    }

    public func makeAsyncIterator() -> Iterator { Iterator(cursor: self, remaining: limit) }

    /// Reads the next batch when the current one is used up.
    public struct Iterator: AsyncIteratorProtocol {
        let cursor: DocumentCursor
        var remaining: Int?
        var buffer: [Result] = []
        var position = 0
        var last: BSONValue?
        var exhausted = false

        init(cursor: DocumentCursor, remaining: Int?) {
            self.cursor = cursor
            self.remaining = remaining
        }

        public mutating func next() async throws -> Result? {
            if position == buffer.count {
                guard !exhausted else { return nil }
                try await fetch()
                guard position < buffer.count else { return nil }
            }
            defer { position += 1 }
            return buffer[position]
        }

        private mutating func fetch() async throws {
            let size = Swift.min(cursor.batchSize, remaining ?? .max)
            guard size > 0 else {
                exhausted = true
                return
            }
            var query = cursor.filter
            if let last {
                query = query && .raw(cursor.rangeField, cursor.order == .ascending ? "$gt" : "$lt", last)
            }
            let projection = cursor.projection.map { fields in
                BSONDocument((Set(fields).union([cursor.rangeField, "_id"])).sorted().map { (key: $0, value: .int32(1)) })
            }
            let documents = try await cursor.client.find(
                query.document, in: cursor.collection, sort: [cursor.rangeField: .int32(cursor.order.rawValue)],
                limit: size, projection: projection)
            guard let lastValue = documents.last?[cursor.rangeField] else {
                if !documents.isEmpty {
                    throw DocumentStoreError(
                        kind: .commandFailed, message: "a document of \(cursor.collection) has no range field \(cursor.rangeField)")
                }
                exhausted = true
                buffer = []
                position = 0
                return
            }
            let decoder = BSONDecoder()
            buffer = try documents.map { try decoder.decode(Result.self, from: $0) }
            position = 0
            last = lastValue
            remaining = remaining.map { $0 - documents.count }
            exhausted = documents.count < size
        }
    }
}
