import AsyncHTTPClient
import DocumentStore
import Foundation
import Kafka
import NIOCore
import Postgres
import RedisCluster
import S3
import ServiceLifecycle
import Testing

/// One round trip through each C library (and the S3 signer) against the real servers of the local stack.
@Suite(.timeLimit(.minutes(5))) struct BackingServiceTests {
    @Test func postgresRunsAParameterisedQuery() async throws {
        #expect(PostgresClient.libraryVersion >= 150_000)
        let client = PostgresClient(configuration: .init(url: TestStack.postgresURL(database: "chat"), poolSize: 2), logger: TestStack.logger)
        let rows = try await client.query("SELECT $1::int + 1 AS next, $2::text AS name, $3::text IS NULL AS missing", ["41", "it's", nil])
        #expect(rows.count == 1)
        #expect(try rows[0].decode("next", as: Int.self) == 42)
        #expect(rows[0]["name"] == "it's")
        #expect(rows[0]["missing"] == "t")
        await #expect(throws: PostgresError.self) { try await client.query("SELECT * FROM no_such_table") }
        // The connection is still usable after a failed statement.
        #expect(try await client.query("SELECT 1 AS one")[0]["one"] == "1")
    }

    @Test func documentStoreInsertsAndFinds() async throws {
        #expect(DocumentStoreClient.libraryVersion.hasPrefix("1."))
        let client = try DocumentStoreClient(uri: TestStack["CHAT_MONGO_URI"], poolSize: 2, logger: TestStack.logger)
        try await client.ping()
        let collection = TestStack.unique("smoke").replacingOccurrences(of: "-", with: "_")
        let when = Date(timeIntervalSince1970: 1_700_000_000.123)
        try await client.insertOne(
            ["conversationId": .string("c1"), "seq": .int64(2), "body": .string("second"), "at": .date(when)], into: collection)
        try await client.insertOne(
            ["conversationId": .string("c1"), "seq": .int64(1), "body": .string("first"), "at": .date(when)], into: collection)
        try await client.insertOne(
            ["conversationId": .string("c2"), "seq": .int64(1), "body": .string("other"), "at": .date(when)], into: collection)
        let found = try await client.find(["conversationId": .string("c1")], in: collection, sort: ["seq": .int32(1)])
        #expect(found.map { $0["body"]?.stringValue } == ["first", "second"])
        #expect(found.map { $0["seq"]?.integerValue } == [1, 2])
        #expect(found.first?["at"] == .date(when))
    }

    @Test func kafkaProducesAndConsumesThroughAGroup() async throws {
        #expect(KafkaProducer.libraryVersion.hasPrefix("2."))
        let brokers = KafkaConfiguration(brokers: TestStack["CHAT_KAFKA_BROKERS"])
        let topic = TestStack.unique("smoke")
        let producer = try KafkaProducer(configuration: .init(brokers), logger: TestStack.logger)
        try await producer.checkConnection()
        let sent = (0..<20).map { "message-\($0)" }
        // Sending first creates the topic; the new group then starts from the earliest offset.
        for (index, text) in sent.enumerated() {
            let report = try await producer.send(
                topic: topic, key: Array("key-\(index % 2)".utf8), value: Array(text.utf8),
                headers: [(name: "schema", value: Array("v1".utf8))])
            #expect(report.offset >= 0)
        }
        let consumer = try KafkaConsumer(
            configuration: .init(brokers, groupId: TestStack.unique("group"), topics: [topic]), logger: TestStack.logger)
        let received = try await withServiceGroup([producer, consumer]) {
            var received: [String] = []
            for await record in consumer {
                #expect(record.headers.first?.name == "schema")
                received.append(String(decoding: record.value, as: UTF8.self))
                try consumer.commit(record)
                if received.count == sent.count { break }
            }
            return received
        }
        #expect(Set(received) == Set(sent))
        // Records of one key keep their order.
        #expect(received.filter { sent.firstIndex(of: $0)! % 2 == 0 } == sent.enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
    }

    @Test func redisCommandsRouteAcrossTheCluster() async throws {
        let client = RedisClusterClient(
            configuration: .init(seeds: TestStack["CHAT_REDIS_NODES"].split(separator: ",").compactMap { NodeAddress(String($0)) }),
            logger: TestStack.logger)
        try await client.checkCluster()
        let keys = (0..<50).map { TestStack.unique("smoke:\($0)") }
        for key in keys { try await client.set(key, "value of \(key)", expiresInMilliseconds: 60_000) }
        for key in keys { #expect(try await client.get(key) == "value of \(key)") }
        // The keys really spread over the three masters.
        let owners = try await Set(
            keys.asyncMap { key in
                try await client.command(["CLUSTER", "KEYSLOT", key], key: nil).integer!
            }.map { slot in slot / 5462 })
        #expect(owners.count == 3)
    }

    @Test func s3PresignedPutThenGet() async throws {
        let http = HTTPClient.shared
        let s3 = S3Client(
            configuration: .init(
                endpoint: TestStack["CHAT_S3_ENDPOINT"], region: "us-east-1", bucket: TestStack["CHAT_S3_BUCKET"],
                pathStyle: true, credentials: .init(accessKeyId: "test", secretAccessKey: "test")),
            httpClient: http)
        try await s3.checkBucket()
        let key = "smoke/\(TestStack.unique("file")) name.txt"
        let payload = "hello attachments"
        let putURL = s3.presignedURL(method: "PUT", key: key, expires: 300, headers: [("content-type", "text/plain")])
        var put = HTTPClientRequest(url: putURL)
        put.method = .PUT
        put.headers.add(name: "content-type", value: "text/plain")
        put.body = .bytes(ByteBuffer(string: payload))
        #expect(try await http.execute(put, timeout: .seconds(10)).status.code == 200)
        #expect(try await s3.headObject(key: key)?.size == payload.utf8.count)

        let get = HTTPClientRequest(url: s3.presignedURL(method: "GET", key: key, expires: 300))
        let response = try await http.execute(get, timeout: .seconds(10))
        #expect(response.status.code == 200)
        #expect(String(buffer: try await response.body.collect(upTo: 1 << 20)) == payload)

        try await s3.deleteObject(key: key)
        #expect(try await s3.headObject(key: key) == nil)
    }
}

/// Runs `body` while `services` run in a `ServiceGroup`, then shuts the group down gracefully.
func withServiceGroup<T: Sendable>(_ services: [any Service], _ body: @Sendable () async throws -> T) async throws -> T {
    let group = ServiceGroup(services: services, logger: TestStack.logger)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            let result = try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
