import ArgumentParser
import DocumentStore
import Foundation
import Kafka
import Logging
import Postgres

/// Measures the store clients against the local stack and prints operations per second.
///
/// Every run is bounded by its counts, works on collections, tables and topics of its own (dropped afterwards where
/// the server allows) and only talks to 127.0.0.1. Build with `-c release` for meaningful figures.
struct StoreBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store-benchmark",
        abstract: "Throughput of DocumentDB inserts, PostgreSQL queries and Kafka produce against the local stack.")

    @Option(help: "The stack's environment file (written by scripts/stack.sh).")
    var stackEnv = ".local/stack.env"
    @Option(help: "Documents inserted one at a time (by --concurrency tasks).")
    var singleInserts = 5_000
    @Option(help: "Documents inserted with insertMany.")
    var batchedInserts = 50_000
    @Option(help: "Documents per insertMany.")
    var batchSize = 500
    @Option(help: "PostgreSQL queries of each kind.")
    var queries = 20_000
    @Option(help: "Concurrent tasks for the PostgreSQL and single-insert runs (also the pool sizes).")
    var concurrency = 16
    @Option(help: "Kafka messages produced.")
    var messages = 100_000
    @Option(help: "Kafka sends awaiting their delivery report at once.")
    var inFlight = 2_000

    /// Runs every measurement, in order.
    func benchmark() async throws {
        let environment = try Self.readEnvironment(stackEnv)
        var logger = Logger(label: "store-benchmark")
        logger.logLevel = .warning
        let tag = UUID().uuidString.prefix(8).lowercased()
        print("| Measure | Operations | Seconds | Per second |")
        print("| --- | --- | --- | --- |")
        try await mongo(uri: try Self.loopback(environment, "CHAT_MONGO_URI"), tag: tag, logger: logger)
        try await postgres(
            url: try Self.loopback(environment, "CHAT_POSTGRES_ADMIN_URL").replacingOccurrences(of: "/postgres", with: "/chat"),
            tag: tag, logger: logger)
        try await kafka(brokers: try Self.loopback(environment, "CHAT_KAFKA_BROKERS"), tag: tag, logger: logger)
    }

    struct Row: Codable, Sendable {
        var conversation: String
        var seq: Int64
        var sender: String
        var body: String
        var at: Date

        init(_ seq: Int) {
            (conversation, self.seq, sender, body, at) = ("c\(seq % 100)", Int64(seq), "u\(seq % 7)", "message \(seq)", Date())
        }
    }

    func mongo(uri: String, tag: String, logger: Logger) async throws {
        let client = try DocumentStoreClient(uri: uri, poolSize: concurrency, logger: logger)
        let collection = DocumentCollection<Row>(client: client, name: "bench_\(tag)")
        let single = try await Self.measure("DocumentDB insertOne, \(concurrency) tasks", singleInserts) {
            try await Self.split(singleInserts, into: concurrency) { range in
                for seq in range { try await collection.insert(Row(seq)) }
            }
        }
        let batched = try await Self.measure("DocumentDB insertMany of \(batchSize)", batchedInserts) {
            for start in stride(from: 0, to: batchedInserts, by: batchSize) {
                let end = Swift.min(start + batchSize, batchedInserts)
                try await collection.insert((start..<end).map { Row(singleInserts + $0) })
            }
        }
        let stored = try await collection.count()
        guard stored == single + batched else { throw BenchmarkError(message: "stored \(stored) documents, expected \(single + batched)") }
        _ = try await client.runCommand(["drop": .string(collection.name)])
    }

    func postgres(url: String, tag: String, logger: Logger) async throws {
        let client = PostgresClient(configuration: .init(url: url, poolSize: concurrency), logger: logger)
        let table = "bench_\(tag)"
        try await client.query("CREATE UNLOGGED TABLE \(table) (id bigint PRIMARY KEY, sender text NOT NULL, body text NOT NULL)")
        do {
            try await Self.measure("PostgreSQL SELECT 1, \(concurrency) tasks", queries) {
                try await Self.split(queries, into: concurrency) { range in
                    for _ in range { try await client.query("SELECT 1") }
                }
            }
            try await Self.measure("PostgreSQL parameterised INSERT, \(concurrency) tasks", queries) {
                try await Self.split(queries, into: concurrency) { range in
                    for id in range {
                        try await client.query(
                            "INSERT INTO \(table) (id, sender, body) VALUES ($1, $2, $3)", [String(id), "u\(id % 7)", "message \(id)"])
                    }
                }
            }
            let stored = try await client.query("SELECT count(*) AS n FROM \(table)")[0].decode("n", as: Int.self)
            guard stored == queries else { throw BenchmarkError(message: "stored \(stored) rows, expected \(queries)") }
        } catch {
            _ = try? await client.query("DROP TABLE \(table)")
            throw error
        }
        try await client.query("DROP TABLE \(table)")
        try await client.shutdown()
    }

    func kafka(brokers: String, tag: String, logger: Logger) async throws {
        let producer = try KafkaProducer(configuration: .init(.init(brokers: brokers)), logger: logger)
        let topic = "bench-\(tag)"
        // The first send creates the topic (auto-create), outside the measurement.
        try await producer.send(topic: topic, key: nil, value: Array("warm-up".utf8))
        let value = [UInt8](repeating: UInt8(ascii: "x"), count: 200)
        try await Self.measure("Kafka produce (200 B, acks=all, \(inFlight) in flight)", messages) {
            try await Self.split(messages, into: inFlight) { range in
                for index in range { try await producer.send(topic: topic, key: Array("conversation-\(index % 500)".utf8), value: value) }
            }
        }
    }

    /// Runs `body`, prints its throughput for `count` operations and returns `count`.
    @discardableResult
    static func measure(_ name: String, _ count: Int, _ body: () async throws -> Void) async throws -> Int {
        let started = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("| \(name) | \(count) | \(String(format: "%.2f", seconds)) | \(String(format: "%.0f", Double(count) / seconds)) |")
        return count
    }

    /// Runs `body` on `parts` concurrent tasks, each over its share of `0..<count`.
    static func split(_ count: Int, into parts: Int, _ body: @escaping @Sendable (Range<Int>) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            let size = (count + parts - 1) / parts
            for start in stride(from: 0, to: count, by: size) {
                group.addTask { try await body(start..<Swift.min(start + size, count)) }
            }
            try await group.waitForAll()
        }
    }

    static func readEnvironment(_ path: String) throws -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw BenchmarkError(message: "no stack environment at \(path): start the stack with scripts/stack.sh start")
        }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }

    /// The value of `name`, refused unless every host it names is 127.0.0.1.
    static func loopback(_ environment: [String: String], _ name: String) throws -> String {
        guard let value = environment[name], !value.isEmpty else { throw BenchmarkError(message: "\(name) is not in the stack environment") }
        let hosts = value.split(separator: ",").map { entry -> Substring in
            let afterScheme = entry.range(of: "://").map { entry[$0.upperBound...] } ?? entry[...]
            let afterCredentials = afterScheme.split(separator: "@", maxSplits: 1).last ?? afterScheme
            return afterCredentials.prefix { $0 != ":" && $0 != "/" }
        }
        guard hosts.allSatisfy({ $0 == "127.0.0.1" }) else { throw BenchmarkError(message: "\(name) points beyond 127.0.0.1: \(value)") }
        return value
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

// Parsing is synchronous; the measurements run on the main task.
let benchmark = StoreBenchmark.parseOrExit()
do {
    try await benchmark.benchmark()
} catch {
    StoreBenchmark.exit(withError: error)
}
