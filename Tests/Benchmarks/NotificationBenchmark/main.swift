import ArgumentParser
import AsyncHTTPClient
import ChatEvents
import Foundation
import HTTPTypes
import Hummingbird
import Kafka
import Logging
import NIOCore
import ServiceKit
import Synchronization

/// Measures the notification service's push latency: from Kafka's acknowledgement of a `message.created` event to
/// the arrival of its push at a webhook receiver this program runs, for a steady stream of events to offline users.
///
/// Run it against a notification instance started on the local stack with private push targets allowed (as
/// `scripts/run.sh` does): it registers push targets through the instance with the identity the gateway would sign
/// (`CHAT_INTERNAL_SECRET` from the stack's environment file), publishes the events itself, and prints p50, p99 and
/// max, checking that every event was pushed once.
@main
struct NotificationBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notification-benchmark", abstract: "Push latency of the notification service: Kafka ack → push received.")

    @Option(help: "The notification instance's base URL.") var notification = "http://127.0.0.1:8084"
    @Option(help: "The local stack's environment file (Kafka brokers, the internal secret).") var stackEnv = ".local/stack.env"
    @Option(help: "Events to publish.") var events = 2000
    @Option(help: "Events per second.") var rate = 200
    @Option(help: "Port of the webhook receiver this program runs.") var receiverPort = 18999

    func run() async throws {
        let environment = try Self.readEnvironment(stackEnv)
        guard let brokers = environment["CHAT_KAFKA_BROKERS"], let secret = environment["CHAT_INTERNAL_SECRET"] else {
            throw ValidationError("\(stackEnv) names no CHAT_KAFKA_BROKERS or CHAT_INTERNAL_SECRET: start the stack first")
        }
        var logger = Logger(label: "notification-benchmark")
        logger.logLevel = .warning
        let receiver = Receiver()
        let server = Task { try await receiver.run(port: receiverPort, logger: logger) }
        defer { server.cancel() }
        try await Task.sleep(for: .milliseconds(300))

        let signer = try IdentitySigner(secret: secret)
        let users = (0..<20).map { _ in UUID() }
        for user in users {
            try await Self.addTarget(
                for: user, url: "http://127.0.0.1:\(receiverPort)/hooks/\(user.uuidString.lowercased())", at: notification, signer: signer)
        }
        let producer = try KafkaProducer(configuration: .init(KafkaConfiguration(brokers: brokers)), logger: logger)
        let sender = UUID()
        let conversations = (0..<50).map { _ in UUID() }
        let acknowledged = Arrivals()
        print("publishing \(events) events at \(rate)/s…")
        let interval = Duration.seconds(1) / rate
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<events {
                try await Task.sleep(until: started + interval * index)
                group.addTask {
                    let conversation = conversations[index % conversations.count]
                    let seq = Int64(index / conversations.count + 1)
                    try await producer.publish(
                        EventEnvelope(
                            MessageCreated(
                                conversationId: conversation, messageId: "\(index)", seq: seq, senderId: sender, clientMessageId: "\(index)",
                                body: "benchmark \(index)", createdAt: Date(), recipientIds: [users[index % users.count]])))
                    let now = ContinuousClock.now
                    acknowledged.record("\(conversation.uuidString.lowercased())/\(seq)", at: now)
                }
            }
            try await group.waitForAll()
        }
        let deadline = ContinuousClock.now + .seconds(120)
        while receiver.count < events && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        let acks = acknowledged.all()
        let latencies = receiver.arrivals().compactMap { key, arrived in acks[key].map { Self.milliseconds(arrived - $0) } }.sorted()
        func percentile(_ p: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        print(
            String(
                format: "%d events at %d/s: %d pushed (%d distinct); Kafka ack → push received p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                events, rate, receiver.count, latencies.count, percentile(0.5), percentile(0.99), latencies.last ?? 0))
        for user in users { try await Self.removeTargets(of: user, at: notification, signer: signer) }
        if latencies.count != events { throw ExitCode.failure }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func readEnvironment(_ path: String) throws -> [String: String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }

    static func identity(_ user: UUID, signer: IdentitySigner, method: HTTPRequest.Method, path: String) -> String {
        signer.sign(
            VerifiedIdentity(
                userId: user.uuidString.lowercased(), username: "bench", tokenId: UUID().uuidString,
                expiresAt: Int64(Date().timeIntervalSince1970) + 3600, familyId: nil),
            method: method, path: path)
    }

    static func addTarget(for user: UUID, url: String, at base: String, signer: IdentitySigner) async throws {
        var request = HTTPClientRequest(url: base + "/v1/notifications/push-targets")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(
            name: IdentitySigner.headerName.rawName, value: identity(user, signer: signer, method: .post, path: "/v1/notifications/push-targets"))
        request.body = .bytes(ByteBuffer(string: #"{"url":"\#(url)","secret":"benchmark-secret-0123456789"}"#))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        guard response.status == .created else {
            throw ValidationError("push target for \(user): \(response.status) \(String(buffer: try await response.body.collect(upTo: 4096)))")
        }
    }

    static func removeTargets(of user: UUID, at base: String, signer: IdentitySigner) async throws {
        var list = HTTPClientRequest(url: base + "/v1/notifications/push-targets")
        list.headers.add(
            name: IdentitySigner.headerName.rawName, value: identity(user, signer: signer, method: .get, path: "/v1/notifications/push-targets"))
        let body = try await HTTPClient.shared.execute(list, timeout: .seconds(10)).body.collect(upTo: 1 << 20)
        struct Targets: Decodable {
            struct Target: Decodable { let id: String }
            let items: [Target]
        }
        for target in try JSONDecoder().decode(Targets.self, from: body).items {
            var delete = HTTPClientRequest(url: base + "/v1/notifications/push-targets/\(target.id)")
            delete.method = .DELETE
            delete.headers.add(
                name: IdentitySigner.headerName.rawName,
                value: identity(user, signer: signer, method: .delete, path: "/v1/notifications/push-targets/\(target.id)"))
            _ = try await HTTPClient.shared.execute(delete, timeout: .seconds(10))
        }
    }
}

/// When something happened first, by key.
final class Arrivals: Sendable {
    private let times = Mutex<[String: ContinuousClock.Instant]>([:])

    var count: Int { times.withLock { $0.count } }

    /// Keeps the first time of `key`.
    func record(_ key: String, at time: ContinuousClock.Instant) {
        times.withLock { times in if times[key] == nil { times[key] = time } }
    }

    func all() -> [String: ContinuousClock.Instant] { times.withLock { $0 } }
}

/// The webhook receiver: records when each `<conversationId>/<seq>` was first pushed.
final class Receiver: Sendable {
    private let arrived = Arrivals()

    var count: Int { arrived.count }

    func arrivals() -> [String: ContinuousClock.Instant] { arrived.all() }

    func run(port: Int, logger: Logger) async throws {
        struct Push: Decodable {
            struct Notification: Decodable {
                let conversationId: String
                let seq: Int64?
            }
            let notification: Notification
        }
        let router = Router()
        router.post("/hooks/:user") { request, _ -> HTTPResponse.Status in
            let now = ContinuousClock.now
            let body = try await request.body.collect(upTo: 1 << 20)
            if let push = try? JSONDecoder().decode(Push.self, from: body), let seq = push.notification.seq {
                self.arrived.record("\(push.notification.conversationId)/\(seq)", at: now)
            }
            return .ok
        }
        try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger).runService()
    }
}
