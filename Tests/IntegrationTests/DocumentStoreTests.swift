import DocumentStore
import Foundation
import Testing

/// Every element of `sequence`, in order.
func collect<Sequence: AsyncSequence>(_ sequence: Sequence) async throws -> [Sequence.Element] {
    var elements: [Sequence.Element] = []
    for try await element in sequence { elements.append(element) }
    return elements
}

/// The typed DocumentDB API against the stack's nx-27017, each test in a collection of its own.
///
/// nx-27017 has known wrong operations (`$set` of a date, `$push` of a subdocument, `_id` in `$in` or counts); the
/// tests, like the product, do not use them.
@Suite(.timeLimit(.minutes(5))) struct DocumentStoreTests {
    struct Attachment: Codable, Equatable, Sendable {
        var key: String
        var size: Int64
    }

    /// A document using every type the BSON coders support.
    struct Everything: Codable, Equatable, Sendable {
        var _id: ObjectId
        var seq: Int64
        var count: Int
        var small: Int32
        var ratio: Double
        var flag: Bool
        var body: String
        var at: Date
        var blob: Data
        var author: UUID
        var attachment: Attachment
        var tags: [String]
        var matrix: [[Int]]
        var attachments: [Attachment]
        var missing: String?
        var present: String?
    }

    struct Message: Codable, Equatable, Sendable {
        var conversation: String
        var seq: Int64
        var body: String
        var edits: Int64?
        var deleted: Bool?
    }

    struct Counter: Codable, Equatable, Sendable {
        var name: String
        var next: Int64
    }

    /// A client and a collection named for this test only ([A-Za-z0-9_], as nx-27017 requires); dropped afterwards.
    func withCollection<Document: Codable & Sendable>(
        _ type: Document.Type, indexes: [IndexModel] = [], _ body: (DocumentCollection<Document>) async throws -> Void
    ) async throws {
        let client = try DocumentStoreClient(uri: TestStack["CHAT_MONGO_URI"], poolSize: 4, logger: TestStack.logger)
        let name = TestStack.unique("docs").replacingOccurrences(of: "-", with: "_")
        let collection = DocumentCollection<Document>(client: client, name: name, indexes: indexes)
        try await collection.createIndexes()
        do {
            try await body(collection)
        } catch {
            _ = try? await client.runCommand(["drop": .string(name)])
            throw error
        }
        _ = try await client.runCommand(["drop": .string(name)])
    }

    @Test func aDocumentWithEverySupportedTypeRoundTrips() async throws {
        try await withCollection(Everything.self) { collection in
            let original = Everything(
                _id: ObjectId(), seq: 9_007_199_254_740_993, count: 42, small: -7, ratio: 0.1, flag: true,
                body: "héllo \u{1F600} \"quoted\" {$gt: 1}", at: Date(timeIntervalSince1970: 1_700_000_000.123),
                blob: Data([0, 1, 2, 254, 255]), author: UUID(), attachment: Attachment(key: "a/b.png", size: 5_000_000_000),
                tags: ["x", "y"], matrix: [[1, 2], [], [3]], attachments: [Attachment(key: "k", size: 1)],
                missing: nil, present: "here")
            try await collection.insert(original)
            let found = try #require(try await collection.findOne(try .equal("seq", original.seq)))
            #expect(found == original)

            // The stored BSON keeps the native types: ObjectId, datetime, binary, nested document, array.
            let raw = try #require(
                try await collection.client.find(try DocumentFilter.equal("seq", original.seq).document, in: collection.name).first)
            #expect(raw["_id"] == .objectId(original._id))
            #expect(raw["at"] == .date(original.at))
            #expect(raw["blob"] == .binary([0, 1, 2, 254, 255]))
            #expect(raw["attachment"].map { if case .document = $0 { true } else { false } } == true)
            #expect(raw["tags"] == .array([.string("x"), .string("y")]))
            #expect(raw["missing"] == nil)
        }
    }

    @Test func integerFieldsDecodeFromInt32Int64AndWholeDoubles() async throws {
        try await withCollection(Message.self) { collection in
            for (index, seq) in [BSONValue.int32(1), .int64(2), .double(3)].enumerated() {
                try await collection.client.insertOne(
                    ["conversation": .string("c"), "seq": seq, "body": .string("b\(index)"), "edits": .null], into: collection.name)
            }
            let messages = try await collect(collection.find(try .equal("conversation", "c"), rangeField: "seq"))
            #expect(messages.map(\.seq) == [1, 2, 3])
            #expect(messages.allSatisfy { $0.edits == nil })
            // A fractional number is not silently truncated into an integer field.
            try await collection.client.insertOne(["conversation": .string("d"), "seq": .double(4.5), "body": .string("x")], into: collection.name)
            await #expect(throws: DecodingError.self) { try await collection.findOne(try .equal("conversation", "d")) }
        }
    }

    @Test func aUniqueIndexTurnsASecondInsertIntoATypedDuplicateError() async throws {
        let indexes = [IndexModel(keys: [("conversation", .ascending), ("seq", .ascending)], unique: true)]
        try await withCollection(Message.self, indexes: indexes) { collection in
            try await collection.createIndexes()  // a second time: a no-op
            try await collection.insert(Message(conversation: "c", seq: 1, body: "first"))
            await #expect {
                try await collection.insert(Message(conversation: "c", seq: 1, body: "again"))
            } throws: { error in
                (error as? DocumentStoreError)?.kind == .duplicateKey && (error as? DocumentStoreError)?.code == 11000
            }
            // Unordered insertMany inserts every other document and still reports the duplicate.
            let batch = [
                Message(conversation: "c", seq: 2, body: "2"), Message(conversation: "c", seq: 1, body: "dup"),
                Message(conversation: "c", seq: 3, body: "3"),
            ]
            await #expect {
                try await collection.insert(batch, ordered: false)
            } throws: { error in
                (error as? DocumentStoreError)?.kind == .duplicateKey
            }
            #expect(try await collection.count(try .equal("conversation", "c")) == 3)
            #expect(try await collection.findOne(try .equal("seq", 1))?.body == "first")
            // insertAll names the refused documents by their index and stores the others.
            let next = [
                Message(conversation: "c", seq: 4, body: "4"), Message(conversation: "c", seq: 2, body: "dup"),
                Message(conversation: "c", seq: 5, body: "5"), Message(conversation: "c", seq: 3, body: "dup"),
            ]
            #expect(try await collection.insertAll(next) == [1, 3])
            #expect(try await collection.count(try .equal("conversation", "c")) == 5)
            #expect(try await collection.insertAll([Message(conversation: "c", seq: 6, body: "6")]).isEmpty)
        }
    }

    @Test func rangePaginationReturnsEachOfAThousandDocumentsOnceAndInOrder() async throws {
        let indexes = [IndexModel(keys: [("conversation", .ascending), ("seq", .ascending)], unique: true)]
        try await withCollection(Message.self, indexes: indexes) { collection in
            let seqs = Array(Int64(0)..<1_000).shuffled()
            for chunk in stride(from: 0, to: seqs.count, by: 250) {
                let messages = seqs[chunk..<chunk + 250].map { Message(conversation: "a", seq: $0, body: "m\($0)") }
                #expect(try await collection.insert(messages) == 250)
            }
            try await collection.insert((0..<50).map { Message(conversation: "b", seq: Int64($0), body: "other") })

            let all = try await collect(collection.find(try .equal("conversation", "a"), rangeField: "seq", batchSize: 64))
            #expect(all.map(\.seq) == Array(0..<1_000))
            #expect(all.allSatisfy { $0.body == "m\($0.seq)" && $0.conversation == "a" })

            // Newest first, bounded, starting below a given sequence number, with a projection.
            struct SeqOnly: Decodable, Sendable {
                var seq: Int64
                var body: String?
            }
            let page = try await collect(
                collection.find(
                    try .equal("conversation", "a") && .lessThan("seq", 900), rangeField: "seq", order: .descending,
                    limit: 150, projection: ["seq"], batchSize: 40, as: SeqOnly.self))
            #expect(page.map(\.seq) == Array((750..<900).reversed()))
            #expect(page.allSatisfy { $0.body == nil })
        }
    }

    @Test func filterValuesNeverBecomeOperators() async throws {
        try await withCollection(Message.self) { collection in
            try await collection.insert(Message(conversation: "c", seq: 1, body: "hello"))
            // Text that looks like an operator is compared as text.
            #expect(try await collection.count(try .equal("body", "{\"$ne\": null}")) == 0)
            #expect(try await collection.count(try .equal("body", "$ne")) == 0)
            #expect(try await collection.count(try .equal("body", "hello")) == 1)
            #expect(try DocumentFilter.equal("body", "x").document == ["body": .document(["$eq": .string("x")])])
        }
    }

    @Test func updatesChangeWhatTheyReportAndNothingElse() async throws {
        try await withCollection(Message.self) { collection in
            try await collection.insert((1...5).map { Message(conversation: "c", seq: $0, body: "m\($0)", edits: 0) })
            try await collection.insert(Message(conversation: "other", seq: 1, body: "untouched", edits: 0))

            let one = try await collection.updateOne(
                try .equal("conversation", "c") && .equal("seq", 2), try .set("body", "edited").increment("edits", by: 1))
            #expect(one == UpdateResult(matchedCount: 1, modifiedCount: 1, upsertedCount: 0))
            #expect(
                try await collection.findOne(try .equal("conversation", "c") && .equal("seq", 2))
                    == Message(conversation: "c", seq: 2, body: "edited", edits: 1))

            let many = try await collection.updateMany(try .equal("conversation", "c") && .greaterThan("seq", 3), .increment("edits", by: 10))
            #expect(many.matchedCount == 2 && many.modifiedCount == 2)
            let removed = try await collection.updateMany(try .equal("conversation", "c"), .unset("edits"))
            #expect(removed.matchedCount == 5)
            let messages = try await collect(collection.find(try .equal("conversation", "c"), rangeField: "seq"))
            #expect(messages.allSatisfy { $0.edits == nil })
            #expect(try await collection.findOne(try .equal("conversation", "other"))?.edits == 0)

            let nothing = try await collection.updateOne(try .equal("conversation", "none"), try .set("body", "x"))
            #expect(nothing == UpdateResult(matchedCount: 0, modifiedCount: 0, upsertedCount: 0))
            let upserted = try await collection.updateOne(
                try .equal("conversation", "new") && .equal("seq", 1), try .set("body", "made"), upsert: true)
            #expect(upserted.upsertedCount == 1)
            #expect(try await collection.findOne(try .equal("conversation", "new"))?.body == "made")
        }
    }

    @Test func findOneAndUpdateHandsOutEachCounterValueOnce() async throws {
        try await withCollection(Counter.self, indexes: [IndexModel(keys: [("name", .ascending)], unique: true)]) { collection in
            let first = try await collection.findOneAndUpdate(try .equal("name", "c1"), .increment("next", by: 1), upsert: true)
            #expect(first == Counter(name: "c1", next: 1))
            let values = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try #require(try await collection.findOneAndUpdate(try .equal("name", "c1"), .increment("next", by: 1))).next
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0.append($1) }
            }
            #expect(values.sorted() == Array(2...21))
            let before = try await collection.findOneAndUpdate(try .equal("name", "c1"), .increment("next", by: 1), returnUpdated: false)
            #expect(before?.next == 21)
            #expect(try await collection.findOne(try .equal("name", "c1"))?.next == 22)
            #expect(try await collection.findOneAndUpdate(try .equal("name", "absent"), .increment("next", by: 1)) == nil)
            #expect(try await collection.count() == 1)
        }
    }

    @Test func deletesAndCountsAgree() async throws {
        try await withCollection(Message.self) { collection in
            try await collection.insert((1...10).map { Message(conversation: $0 <= 6 ? "a" : "b", seq: $0, body: "m") })
            #expect(try await collection.count() == 10)
            #expect(try await collection.count(try .equal("conversation", "a")) == 6)
            #expect(try await collection.count(try .equal("conversation", "a") && .greaterThanOrEqual("seq", 5)) == 2)
            #expect(try await collection.count(try .isIn("seq", [Int64(1), 2, 3, 99])) == 3)
            #expect(try await collection.deleteOne(try .equal("conversation", "a")) == 1)
            #expect(try await collection.count(try .equal("conversation", "a")) == 5)
            #expect(try await collection.deleteMany(try .equal("conversation", "b")) == 4)
            #expect(try await collection.deleteMany(try .equal("conversation", "b")) == 0)
            #expect(try await collection.count() == 5)
        }
    }

    @Test func aBulkWriteAppliesEveryKindOfWrite() async throws {
        try await withCollection(Message.self, indexes: [IndexModel(keys: [("seq", .ascending)], unique: true)]) { collection in
            try await collection.insert((1...4).map { Message(conversation: "c", seq: $0, body: "m\($0)", edits: 0) })
            let result = try await collection.bulkWrite([
                .insert(Message(conversation: "c", seq: 5, body: "m5", edits: 0)),
                .insert(Message(conversation: "c", seq: 6, body: "m6", edits: 0)),
                .updateOne(try .equal("seq", 1), try .set("body", "edited")),
                .updateMany(try .greaterThan("seq", 4), .increment("edits", by: 2)),
                .deleteOne(try .equal("seq", 2)),
                .deleteMany(try .isIn("seq", [Int64(3), 4])),
                .updateOne(try .equal("seq", 7), try .set("body", "upserted").set("conversation", "c"), upsert: true),
            ])
            #expect(result == BulkWriteResult(insertedCount: 2, matchedCount: 3, modifiedCount: 3, deletedCount: 3, upsertedCount: 1))
            let messages = try await collect(collection.find(rangeField: "seq"))
            #expect(messages.map(\.seq) == [1, 5, 6, 7])
            #expect(messages.map(\.body) == ["edited", "m5", "m6", "upserted"])
            #expect(messages.map(\.edits) == [0, 2, 2, nil])

            // An ordered bulk stops at the duplicate: the write after it is not applied.
            await #expect {
                try await collection.bulkWrite([
                    .insert(Message(conversation: "c", seq: 8, body: "m8")),
                    .insert(Message(conversation: "c", seq: 1, body: "dup")),
                    .insert(Message(conversation: "c", seq: 9, body: "m9")),
                ])
            } throws: { error in
                (error as? DocumentStoreError)?.kind == .duplicateKey
            }
            #expect(try await collect(collection.find(rangeField: "seq")).map(\.seq) == [1, 5, 6, 7, 8])
        }
    }

    @Test func anUnreachableServerIsATypedConnectionError() async throws {
        let client = try DocumentStoreClient(
            uri: "mongodb://127.0.0.1:9/chat?serverSelectionTimeoutMS=300&connectTimeoutMS=300", poolSize: 1, logger: TestStack.logger)
        await #expect {
            try await client.ping()
        } throws: { error in
            (error as? DocumentStoreError)?.kind == .connection
        }
    }
}
