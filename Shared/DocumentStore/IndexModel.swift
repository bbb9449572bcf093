/// An index declared in code; ``DocumentCollection/createIndexes()`` creates the collection's indexes idempotently.
public struct IndexModel: Sendable {
    /// The indexed fields, in order, with their direction.
    public var keys: [(field: String, order: SortOrder)]
    /// Whether two documents may not share the same key (inserting one fails with ``DocumentStoreError/Kind/duplicateKey``).
    public var unique: Bool
    /// For a TTL index on one date field: how long after that date the server deletes the document.
    public var expireAfterSeconds: Int?

    public init(keys: [(field: String, order: SortOrder)], unique: Bool = false, expireAfterSeconds: Int? = nil) {
        precondition(!keys.isEmpty, "an index has at least one key")
        precondition(expireAfterSeconds == nil || keys.count == 1, "a TTL index has exactly one date field")
        self.keys = keys
        self.unique = unique
        self.expireAfterSeconds = expireAfterSeconds
    }

    /// MongoDB's default name for the keys (`conversationId_1_seq_1`), so creating the same index again is a no-op.
    public var name: String {
        keys.map { "\($0.field)_\($0.order.rawValue)" }.joined(separator: "_")
    }

    /// The index specification of the `createIndexes` command.
    var specification: BSONDocument {
        var spec: BSONDocument = [
            "key": .document(BSONDocument(keys.map { (key: $0.field, value: .int32($0.order.rawValue)) })),
            "name": .string(name),
        ]
        if unique { spec["unique"] = .bool(true) }
        if let expireAfterSeconds { spec["expireAfterSeconds"] = .int32(Int32(clamping: expireAfterSeconds)) }
        return spec
    }
}

/// The direction of a sort or an index key.
public enum SortOrder: Int32, Sendable {
    case ascending = 1
    case descending = -1
}
