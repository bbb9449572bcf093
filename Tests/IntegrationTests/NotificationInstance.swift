import AsyncHTTPClient
import ChatEvents
import Foundation
import HTTPTypes
import Kafka
import NIOCore
import NIOHTTP1
import Postgres
import ServiceKit
import Testing

/// One `notification` executable under test with a database and a consumer group of its own, so tests running
/// next to it (and other suites' notification processes) never share its notifications, pushes or offsets.
///
/// Its group starts at the latest offsets (history of the shared topics is not replayed); ``start`` returns once the
/// process is ready and has handled an event on every partition of both topics, so no event a test publishes
/// afterwards is missed. Handled offsets are committed up to a second later: a restart after a crash reads partitions
/// still without a committed offset from their start, as the service's default (`earliest`) does in production.
final class NotificationInstance: @unchecked Sendable {
    let port: Int
    let database: String
    let group: String
    let environment: [String: String]
    let postgres: PostgresClient
    private(set) var process: ServiceProcess

    /// The stack's producer, for publishing events as chat would.
    static let producer: KafkaProducer = {
        try! KafkaProducer(configuration: .init(.init(brokers: TestStack["CHAT_KAFKA_BROKERS"])), logger: TestStack.logger)
    }()

    /// Creates the database, starts the process on `port` with `environment` on top of the test defaults (3 attempts,
    /// 50 ms retry base, private targets allowed) and waits until it is ready and, when `awaitingPartitions`, until it
    /// consumes every partition.
    static func start(port: Int, environment: [String: String] = [:], awaitingPartitions: Bool = true) async throws -> NotificationInstance {
        let database = "notification_test_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = PostgresClient(configuration: .init(url: TestStack["CHAT_POSTGRES_ADMIN_URL"], poolSize: 1), logger: TestStack.logger)
        try await admin.query("CREATE DATABASE \(database)")
        try await admin.shutdown()
        let instance = try NotificationInstance(
            port: port, database: database,
            environment: [
                "CHAT_POSTGRES_URL": TestStack.postgresURL(database: database),
                "CHAT_NOTIFICATION_CONSUMER_GROUP": TestStack.unique("notification-test"),
                "CHAT_NOTIFICATION_OFFSET_RESET": "latest",
                "CHAT_PUSH_MAX_ATTEMPTS": "3",
                "CHAT_PUSH_RETRY_BASE_MS": "50",
                "CHAT_PUSH_TIMEOUT_MS": "2000",
                "CHAT_PUSH_ALLOW_PRIVATE_TARGETS": "true",
            ].merging(environment) { _, own in own })
        try await instance.process.waitFor("/ready", status: 200)
        if awaitingPartitions { try await instance.awaitEveryPartition() }
        return instance
    }

    private init(port: Int, database: String, environment: [String: String]) throws {
        self.port = port
        self.database = database
        self.group = environment["CHAT_NOTIFICATION_CONSUMER_GROUP"]!
        self.environment = environment
        self.postgres = PostgresClient(configuration: .init(url: TestStack.postgresURL(database: database), poolSize: 2), logger: TestStack.logger)
        self.process = try ServiceProcess("notification", port: port, environment: environment)
    }

    /// Kills the process with SIGKILL (no graceful shutdown).
    func kill() { process.crash() }

    /// Starts the process again with the same database and group, and waits until it is ready. A partition the group
    /// has no committed offset for yet (the crash came within the commit interval) is read from its start, not from
    /// its end, which would skip what was published meanwhile.
    func restart() async throws {
        var environment = environment
        environment["CHAT_NOTIFICATION_OFFSET_RESET"] = "earliest"
        process = try ServiceProcess("notification", port: port, environment: environment)
        try await process.waitFor("/ready", status: 200)
    }

    /// Stops the process (SIGTERM, expecting exit 0) and drops the database.
    func stop() async throws {
        let status = try await process.terminate()
        #expect(status == 0, "notification exited with \(status); log:\n\(process.log)")
        try await postgres.shutdown()
        let admin = PostgresClient(configuration: .init(url: TestStack["CHAT_POSTGRES_ADMIN_URL"], poolSize: 1), logger: TestStack.logger)
        try await admin.query("DROP DATABASE \(database) WITH (FORCE)")
        try await admin.shutdown()
    }

    /// Publishes probe events on fresh conversations until the process has stored a notification for a probe on
    /// every partition of chat.messages and chat.events (each handled record is committed right after).
    private func awaitEveryPartition() async throws {
        let probeUser = UUID()
        let actor = UUID()
        var partitionOf: [String: (topic: String, partition: Int32)] = [:]
        let deadline = ContinuousClock.now + .seconds(90)
        while true {
            for _ in 0..<24 {
                let conversation = UUID()
                let report = try await Self.producer.publish(
                    EventEnvelope(
                        MessageCreated(
                            conversationId: conversation, messageId: "probe", seq: 1, senderId: actor, clientMessageId: "probe",
                            body: "probe", createdAt: Date(), recipientIds: [probeUser])))
                partitionOf[conversation.uuidString.lowercased()] = (KafkaTopic.messages.name, report.partition)
            }
            for _ in 0..<12 {
                let conversation = UUID()
                let report = try await Self.producer.publish(
                    EventEnvelope(MemberAdded(conversationId: conversation, userId: probeUser, addedBy: actor)))
                partitionOf[conversation.uuidString.lowercased()] = (KafkaTopic.events.name, report.partition)
            }
            let stored = try await postgres.query(
                "SELECT DISTINCT conversation_id FROM notifications WHERE user_id = $1", [probeUser.uuidString.lowercased()])
            let covered = Set(
                try stored.map { row -> String in
                    let conversation: String = try row.decode("conversation_id")
                    let place = partitionOf[conversation]!
                    return "\(place.topic)/\(place.partition)"
                })
            if covered.count == KafkaTopic.messages.partitions + KafkaTopic.events.partitions { return }
            guard ContinuousClock.now < deadline else {
                throw ServiceProcess.WaitFailure(description: "only \(covered.count) partitions consumed; log:\n\(process.log)")
            }
            try await Task.sleep(for: .milliseconds(300))
        }
    }

    /// HTTP calls to this instance as `userId` (identity signed like the gateway does), or as nobody.
    func call(
        _ method: HTTPMethod, _ path: String, as userId: UUID?, body: String? = nil
    ) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        if let userId {
            let identity = VerifiedIdentity(
                userId: userId.uuidString.lowercased(), username: "user", tokenId: UUID().uuidString,
                expiresAt: Int64(Date().timeIntervalSince1970) + 600, familyId: nil)
            request.headers.add(
                name: "X-Chat-Identity",
                value: IdentityServices.signer.sign(
                    identity, method: try #require(HTTPRequest.Method(method.rawValue)),
                    path: String(path.split(separator: "?").first ?? "")))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 1 << 22)
        return (Int(response.status.code), String(buffer: collected))
    }

    /// Registers a push target for `userId`; returns its id.
    @discardableResult
    func addTarget(for userId: UUID, url: String, secret: String) async throws -> String {
        let reply = try await call(
            .POST, "/v1/notifications/push-targets", as: userId,
            body: #"{"url":"\#(url)","secret":"\#(secret)"}"#)
        try #require(reply.status == 201, "push-targets answered \(reply.status): \(reply.body)")
        return try #require(try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any])["id"] as! String
    }

    /// Rows of `push_deliveries` still pending.
    func pendingPushes() async throws -> Int {
        try await postgres.query("SELECT count(*) AS pending FROM push_deliveries").first!.decode("pending", as: Int.self)
    }
}

/// Polls `condition` every 50 ms until it holds, failing after `timeout` with `message`.
func eventually(
    _ message: @autoclosure () -> String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw ServiceProcess.WaitFailure(description: "timed out: \(message())") }
        try await Task.sleep(for: .milliseconds(50))
    }
}
