import CMongoC

/// A collection whose documents are `Document` values, encoded with ``BSONEncoder`` and decoded with ``BSONDecoder``.
///
/// Every call runs libmongoc on the client's thread pool. Filters and updates are ``DocumentFilter`` and
/// ``DocumentUpdate`` values, built from typed values, so input from users can never turn into query operators.
/// The collection's indexes are declared with it and created by ``createIndexes()`` (idempotent; call it at start).
public struct DocumentCollection<Document: Codable & Sendable>: Sendable {
    public let client: DocumentStoreClient
    /// The collection's name in the client's database.
    public let name: String
    /// The indexes this collection needs.
    public let indexes: [IndexModel]

    public init(client: DocumentStoreClient, name: String, indexes: [IndexModel] = []) {
        self.client = client
        self.name = name
        self.indexes = indexes
    }

    /// Creates the declared ``indexes``; indexes that already exist with the same specification are left as they are.
    public func createIndexes() async throws {
        guard !indexes.isEmpty else { return }
        _ = try await client.runCommand([
            "createIndexes": .string(name),
            "indexes": .array(indexes.map { .document($0.specification) }),
        ])
    }

    /// Inserts one document; a unique index it violates fails with ``DocumentStoreError/Kind/duplicateKey``.
    public func insert(_ document: Document) async throws {
        try await client.insertOne(try BSONEncoder().encode(document), into: name)
    }

    /// Inserts several documents in one round trip. `ordered` stops at the first failure; otherwise every
    /// document that can be inserted is. Returns how many were inserted.
    @discardableResult
    public func insert(_ documents: [Document], ordered: Bool = true) async throws -> Int {
        let outcome = try await insertMany(documents, ordered: ordered)
        if let failure = outcome.failure { throw failure }
        return documents.count
    }

    /// Inserts every document that can be inserted, in one round trip, and returns the indices of those a unique
    /// index refused (already there); any other failure throws.
    public func insertAll(_ documents: [Document]) async throws -> Set<Int> {
        let outcome = try await insertMany(documents, ordered: false)
        guard let failure = outcome.failure else { return [] }
        guard !outcome.duplicates.isEmpty, outcome.duplicates.count == outcome.writeErrors else { throw failure }
        return outcome.duplicates
    }

    private struct InsertOutcome {
        /// The failure of the whole call, nil when every document was inserted.
        var failure: DocumentStoreError?
        /// The indices of documents refused as duplicates, and how many documents were refused for any reason.
        var duplicates: Set<Int> = []
        var writeErrors = 0
    }

    private func insertMany(_ documents: [Document], ordered: Bool) async throws -> InsertOutcome {
        guard !documents.isEmpty else { return InsertOutcome() }
        let encoder = BSONEncoder()
        let encoded = try documents.map { try encoder.encode($0) }
        let options: BSONDocument = ["ordered": .bool(ordered)]
        return try await client.withCollection(name) { handle in
            var natives: [OpaquePointer?] = encoded.map { LibBSON.makeBSON($0) }
            defer { natives.forEach { bson_destroy($0) } }
            return try LibBSON.withBSON(options) { nativeOptions in
                var error = bson_error_t()
                let (succeeded, reply) = LibBSON.withReply { reply in
                    natives.withUnsafeMutableBufferPointer { buffer in
                        mongoc_collection_insert_many(handle, buffer.baseAddress, buffer.count, nativeOptions, reply, &error)
                    }
                }
                guard !succeeded else { return InsertOutcome() }
                var outcome = InsertOutcome(failure: DocumentStoreError(error))
                let concernErrors: Int =
                    switch reply["writeConcernErrors"] {
                    case nil: 0
                    case .array(let errors)?: errors.count
                    default: 1
                    }
                if case .array(let writeErrors)? = reply["writeErrors"], concernErrors == 0 {
                    outcome.writeErrors = writeErrors.count
                    for case .document(let writeError) in writeErrors where writeError["code"]?.integerValue == 11000 {
                        if let index = writeError["index"]?.integerValue { outcome.duplicates.insert(Int(index)) }
                    }
                }
                return outcome
            }
        }
    }

    /// The documents matching `filter`, whole, read in batches of `batchSize` with range pagination on `rangeField`.
    ///
    /// Each batch is its own query, `filter && rangeField > last` sorted by `rangeField` (or `<` when descending),
    /// so no server cursor stays open while the caller works. `rangeField` must be unique among the matching
    /// documents (e.g. `seq` within a conversation, with a unique index): then every document is returned exactly
    /// once and in order, even across batches.
    public func find(
        _ filter: DocumentFilter = .all, rangeField: String, order: SortOrder = .ascending, limit: Int? = nil,
        batchSize: Int = 100
    ) -> DocumentCursor<Document> {
        find(filter, rangeField: rangeField, order: order, limit: limit, projection: nil, batchSize: batchSize, as: Document.self)
    }

    /// Like ``find(_:rangeField:order:limit:batchSize:)``, returning only the fields of `projection` (the range
    /// field and `_id` are always included; `nil` for all) decoded as `Result`.
    public func find<Result: Decodable & Sendable>(
        _ filter: DocumentFilter = .all, rangeField: String, order: SortOrder = .ascending, limit: Int? = nil,
        projection: [String]?, batchSize: Int = 100, as type: Result.Type
    ) -> DocumentCursor<Result> {
        DocumentCursor(
            client: client, collection: name, filter: filter, rangeField: rangeField, order: order, limit: limit,
            projection: projection, batchSize: batchSize)
    }

    /// The first document matching `filter`, or `nil`.
    public func findOne(_ filter: DocumentFilter) async throws -> Document? {
        try await client.find(filter.document, in: name, limit: 1).first.map { try BSONDecoder().decode(Document.self, from: $0) }
    }

    /// Applies `update` to the first document matching `filter`; with `upsert`, inserts one when none matches.
    @discardableResult
    public func updateOne(_ filter: DocumentFilter, _ update: DocumentUpdate, upsert: Bool = false) async throws -> UpdateResult {
        try await applyUpdate(filter, update, upsert: upsert, many: false)
    }

    /// Applies `update` to every document matching `filter`.
    @discardableResult
    public func updateMany(_ filter: DocumentFilter, _ update: DocumentUpdate, upsert: Bool = false) async throws -> UpdateResult {
        try await applyUpdate(filter, update, upsert: upsert, many: true)
    }

    private func applyUpdate(_ filter: DocumentFilter, _ update: DocumentUpdate, upsert: Bool, many: Bool) async throws -> UpdateResult {
        let selector = filter.document
        let change = update.document
        let options: BSONDocument = ["upsert": .bool(upsert)]
        let reply = try await client.withCollection(name) { handle in
            try LibBSON.withBSON(selector) { nativeSelector in
                try LibBSON.withBSON(change) { nativeChange in
                    try LibBSON.withBSON(options) { nativeOptions in
                        var error = bson_error_t()
                        let (succeeded, reply) = LibBSON.withReply { reply in
                            many
                                ? mongoc_collection_update_many(handle, nativeSelector, nativeChange, nativeOptions, reply, &error)
                                : mongoc_collection_update_one(handle, nativeSelector, nativeChange, nativeOptions, reply, &error)
                        }
                        guard succeeded else { throw DocumentStoreError(error) }
                        return reply
                    }
                }
            }
        }
        return UpdateResult(
            matchedCount: Int(reply["matchedCount"]?.integerValue ?? 0),
            modifiedCount: Int(reply["modifiedCount"]?.integerValue ?? 0),
            upsertedCount: Int(reply["upsertedCount"]?.integerValue ?? 0))
    }

    /// Atomically applies `update` to the first document matching `filter` (in `sort` order) and returns it as it is
    /// after the update (`returnUpdated`) or before; `nil` when nothing matched and `upsert` is false.
    ///
    /// This is `findAndModify`, e.g. to take the next sequence number of a conversation.
    public func findOneAndUpdate(
        _ filter: DocumentFilter, _ update: DocumentUpdate, sort: [(field: String, order: SortOrder)] = [],
        upsert: Bool = false, returnUpdated: Bool = true
    ) async throws -> Document? {
        let selector = filter.document
        let change = update.document
        let sortDocument = BSONDocument(sort.map { (key: $0.field, value: .int32($0.order.rawValue)) })
        let reply = try await client.withCollection(name) { handle in
            let options = mongoc_find_and_modify_opts_new()!
            defer { mongoc_find_and_modify_opts_destroy(options) }
            var flags = MONGOC_FIND_AND_MODIFY_NONE.rawValue
            if upsert { flags |= MONGOC_FIND_AND_MODIFY_UPSERT.rawValue }
            if returnUpdated { flags |= MONGOC_FIND_AND_MODIFY_RETURN_NEW.rawValue }
            mongoc_find_and_modify_opts_set_flags(options, mongoc_find_and_modify_flags_t(rawValue: flags))
            LibBSON.withBSON(change) { _ = mongoc_find_and_modify_opts_set_update(options, $0) }
            if !sortDocument.fields.isEmpty {
                LibBSON.withBSON(sortDocument) { _ = mongoc_find_and_modify_opts_set_sort(options, $0) }
            }
            return try LibBSON.withBSON(selector) { nativeSelector in
                var error = bson_error_t()
                let (succeeded, reply) = LibBSON.withReply { reply in
                    mongoc_collection_find_and_modify_with_opts(handle, nativeSelector, options, reply, &error)
                }
                guard succeeded else { throw DocumentStoreError(error) }
                return reply
            }
        }
        guard case .document(let found)? = reply["value"] else { return nil }
        return try BSONDecoder().decode(Document.self, from: found)
    }

    /// Deletes the first document matching `filter`; returns how many were deleted (0 or 1).
    @discardableResult
    public func deleteOne(_ filter: DocumentFilter) async throws -> Int { try await delete(filter, many: false) }

    /// Deletes every document matching `filter`; returns how many were deleted.
    @discardableResult
    public func deleteMany(_ filter: DocumentFilter) async throws -> Int { try await delete(filter, many: true) }

    private func delete(_ filter: DocumentFilter, many: Bool) async throws -> Int {
        let selector = filter.document
        let reply = try await client.withCollection(name) { handle in
            try LibBSON.withBSON(selector) { nativeSelector in
                var error = bson_error_t()
                let (succeeded, reply) = LibBSON.withReply { reply in
                    many
                        ? mongoc_collection_delete_many(handle, nativeSelector, nil, reply, &error)
                        : mongoc_collection_delete_one(handle, nativeSelector, nil, reply, &error)
                }
                guard succeeded else { throw DocumentStoreError(error) }
                return reply
            }
        }
        return Int(reply["deletedCount"]?.integerValue ?? 0)
    }

    /// The number of documents matching `filter`.
    public func count(_ filter: DocumentFilter = .all) async throws -> Int {
        let selector = filter.document
        return try await client.withCollection(name) { handle in
            try LibBSON.withBSON(selector) { nativeSelector in
                var error = bson_error_t()
                let (count, _) = LibBSON.withReply { reply in
                    mongoc_collection_count_documents(handle, nativeSelector, nil, nil, reply, &error)
                }
                guard count >= 0 else { throw DocumentStoreError(error) }
                return Int(count)
            }
        }
    }

    /// Sends several writes in one bulk operation. `ordered` stops at the first failure; otherwise every write is
    /// attempted. A failure is thrown after the server applied what it could (see ``DocumentStoreError``).
    @discardableResult
    public func bulkWrite(_ writes: [DocumentWrite<Document>], ordered: Bool = true) async throws -> BulkWriteResult {
        guard !writes.isEmpty else { return BulkWriteResult(insertedCount: 0, matchedCount: 0, modifiedCount: 0, deletedCount: 0, upsertedCount: 0) }
        let operations = try writes.map { try $0.operation() }
        let options: BSONDocument = ["ordered": .bool(ordered)]
        let reply = try await client.withCollection(name) { handle in
            let bulk = LibBSON.withBSON(options) { mongoc_collection_create_bulk_operation_with_opts(handle, $0)! }
            defer { mongoc_bulk_operation_destroy(bulk) }
            for operation in operations { try operation.add(to: bulk) }
            var error = bson_error_t()
            let (succeeded, reply) = LibBSON.withReply { reply in mongoc_bulk_operation_execute(bulk, reply, &error) != 0 }
            guard succeeded else { throw DocumentStoreError(error) }
            return reply
        }
        return BulkWriteResult(
            insertedCount: Int(reply["nInserted"]?.integerValue ?? 0),
            matchedCount: Int(reply["nMatched"]?.integerValue ?? 0),
            modifiedCount: Int(reply["nModified"]?.integerValue ?? 0),
            deletedCount: Int(reply["nRemoved"]?.integerValue ?? 0),
            upsertedCount: Int(reply["nUpserted"]?.integerValue ?? 0))
    }
}

/// What an update did.
public struct UpdateResult: Sendable, Equatable {
    /// Documents that matched the filter.
    public let matchedCount: Int
    /// Documents that the update changed (a document already holding the new values matches but is not modified).
    public let modifiedCount: Int
    /// 1 when an upsert inserted a document.
    public let upsertedCount: Int

    public init(matchedCount: Int, modifiedCount: Int, upsertedCount: Int) {
        self.matchedCount = matchedCount
        self.modifiedCount = modifiedCount
        self.upsertedCount = upsertedCount
    }
}
