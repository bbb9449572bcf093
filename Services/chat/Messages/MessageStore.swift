import DocumentStore
import Foundation

/// Messages in DocumentDB, unique on `(conversationId, seq)` and on `(conversationId, senderId, clientMessageId)`.
///
/// Filters are built from typed values only, so nothing a client sends can become a query operator.
struct MessageStore: Sendable {
    let collection: DocumentCollection<MessageDocument>

    init(client: DocumentStoreClient) {
        collection = DocumentCollection(
            client: client, name: "messages",
            indexes: [
                IndexModel(keys: [("conversationId", .ascending), ("seq", .ascending)], unique: true),
                IndexModel(keys: [("conversationId", .ascending), ("senderId", .ascending), ("clientMessageId", .ascending)], unique: true),
            ])
    }

    func createIndexes() async throws { try await collection.createIndexes() }

    /// Inserts `documents` in one round trip; returns the indices of those a unique index refused.
    func insert(_ documents: [MessageDocument]) async throws -> Set<Int> {
        try await collection.insertAll(documents)
    }

    /// Inserts one document; false when a unique index refused it.
    func insertOne(_ document: MessageDocument) async throws -> Bool {
        do {
            try await collection.insert(document)
            return true
        } catch let error as DocumentStoreError where error.kind == .duplicateKey {
            return false
        }
    }

    func message(_ conversationId: String, seq: Int64) async throws -> MessageDocument? {
        try await collection.findOne(.equal("conversationId", conversationId) && .equal("seq", seq))
    }

    /// The message a sender already stored under `clientMessageId`, if any.
    func message(_ conversationId: String, sender: String, clientMessageId: String) async throws -> MessageDocument? {
        try await collection.findOne(
            .equal("conversationId", conversationId) && .equal("senderId", sender) && .equal("clientMessageId", clientMessageId))
    }

    /// The highest stored seq of a conversation (0 when empty).
    func maxSeq(_ conversationId: String) async throws -> Int64 {
        var cursor = collection.find(try .equal("conversationId", conversationId), rangeField: "seq", order: .descending, limit: 1)
            .makeAsyncIterator()
        return try await cursor.next()?.seq ?? 0
    }

    /// Up to `limit` messages newest first below `seq` (the latest when nil), or oldest first above it.
    func page(_ conversationId: String, from seq: Int64?, newestFirst: Bool, limit: Int) async throws -> [MessageDocument] {
        var filter = try DocumentFilter.equal("conversationId", conversationId)
        if let seq { filter = filter && (try newestFirst ? .lessThan("seq", seq) : .greaterThan("seq", seq)) }
        let order: DocumentStore.SortOrder = newestFirst ? .descending : .ascending
        var result: [MessageDocument] = []
        for try await document in collection.find(filter, rangeField: "seq", order: order, limit: limit, batchSize: min(limit, 500)) {
            result.append(document)
        }
        return result
    }

    /// Replaces the mutable fields of a stored message (edit, delete, reactions).
    func update(_ document: MessageDocument) async throws {
        var update = try DocumentUpdate.set("body", document.body).set("attachments", document.attachments)
            .set("deleted", document.deleted).set("reactions", document.reactions)
        if let edited = document.editedAtMs { update = try update.set("editedAtMs", edited) }
        try await collection.updateOne(.equal("conversationId", document.conversationId) && .equal("seq", document.seq), update)
    }
}
