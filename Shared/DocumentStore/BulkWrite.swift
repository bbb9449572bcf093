import CMongoC

/// One write of a ``DocumentCollection/bulkWrite(_:ordered:)``.
public enum DocumentWrite<Document: Encodable & Sendable>: Sendable {
    case insert(Document)
    case updateOne(DocumentFilter, DocumentUpdate, upsert: Bool = false)
    case updateMany(DocumentFilter, DocumentUpdate, upsert: Bool = false)
    case deleteOne(DocumentFilter)
    case deleteMany(DocumentFilter)

    /// The write as BSON, ready to be added to a native bulk operation on a worker thread.
    func operation() throws -> BulkOperation {
        switch self {
        case .insert(let document): .insert(try BSONEncoder().encode(document))
        case .updateOne(let filter, let update, let upsert): .update(filter.document, update.document, upsert: upsert, many: false)
        case .updateMany(let filter, let update, let upsert): .update(filter.document, update.document, upsert: upsert, many: true)
        case .deleteOne(let filter): .delete(filter.document, many: false)
        case .deleteMany(let filter): .delete(filter.document, many: true)
        }
    }
}

/// A write of a bulk operation in BSON form.
enum BulkOperation: Sendable {
    case insert(BSONDocument)
    case update(BSONDocument, BSONDocument, upsert: Bool, many: Bool)
    case delete(BSONDocument, many: Bool)

    /// Appends this write to the native bulk operation `bulk`.
    func add(to bulk: OpaquePointer) throws {
        var error = bson_error_t()
        let added: Bool
        switch self {
        case .insert(let document):
            added = LibBSON.withBSON(document) { mongoc_bulk_operation_insert_with_opts(bulk, $0, nil, &error) }
        case .update(let filter, let update, let upsert, let many):
            added = LibBSON.withBSON(filter) { selector in
                LibBSON.withBSON(update) { change in
                    LibBSON.withBSON(["upsert": .bool(upsert)]) { options in
                        many
                            ? mongoc_bulk_operation_update_many_with_opts(bulk, selector, change, options, &error)
                            : mongoc_bulk_operation_update_one_with_opts(bulk, selector, change, options, &error)
                    }
                }
            }
        case .delete(let filter, let many):
            added = LibBSON.withBSON(filter) { selector in
                many
                    ? mongoc_bulk_operation_remove_many_with_opts(bulk, selector, nil, &error)
                    : mongoc_bulk_operation_remove_one_with_opts(bulk, selector, nil, &error)
            }
        }
        guard added else { throw DocumentStoreError(error) }
    }
}

/// What a bulk write did, summed over its writes.
public struct BulkWriteResult: Sendable, Equatable {
    public let insertedCount: Int
    public let matchedCount: Int
    public let modifiedCount: Int
    public let deletedCount: Int
    public let upsertedCount: Int

    public init(insertedCount: Int, matchedCount: Int, modifiedCount: Int, deletedCount: Int, upsertedCount: Int) {
        self.insertedCount = insertedCount
        self.matchedCount = matchedCount
        self.modifiedCount = modifiedCount
        self.deletedCount = deletedCount
        self.upsertedCount = upsertedCount
    }
}
