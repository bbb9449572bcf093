import ArgumentParser
import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import Synchronization

/// Drives the product like its users do, to size a deployment: virtual users register, form groups, connect their
/// WebSockets through the gateway and send messages at a fixed total rate; every delivery is accounted by
/// (conversationId, seq). Prints sent, acked, delivered, lost, duplicated and latency percentiles, and writes the
/// same as JSON.
///
/// With `--rates` it climbs a ladder: the same users and sockets send at each rate in turn for `--duration` seconds,
/// each step followed by `--drain` seconds, and the CPU time of the `--processes` (from /proc) is taken per step, so
/// that the report gives each process's share of a core and the product's CPU per delivered message at each rate.
@main
struct ChatLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat-load", abstract: "Load the chat backend through its gateway and report delivery and latency.")

    @Option(help: "The gateway's base URL (loopback or a test host you run).") var gateway = "http://127.0.0.1:8080"
    @Option(help: "Virtual users.") var users = 100
    @Option(help: "Members per group conversation.") var groupSize = 10
    @Option(help: "Messages per second, all users together.") var rate = 1000
    @Option(help: "A ladder of rates, comma-separated (e.g. 250,500,1000); each step lasts --duration seconds.") var rates: String?
    @Option(help: "Processes whose CPU time is taken per step: name=pid,… (this program is always included).") var processes = ""
    @Option(help: "The names among --processes that are the product (their CPU is divided by the deliveries).")
    var product = "api-gateway,auth,user,chat,notification"
    @Option(help: "Seconds of sending (per step).") var duration = 10
    @Option(help: "Instead of sending: open this many idle WebSockets in steps (e.g. 1000,5000,10000) and report the --processes' memory per socket.")
    var idle: String?
    @Option(help: "Seconds to wait for the last deliveries after sending stops.") var drain = 5
    @Option(help: "Where to write the JSON report.") var json = "chat-load-report.json"

    func run() async throws {
        guard let host = URL(string: gateway)?.host, ["127.0.0.1", "localhost", "::1"].contains(host) || host.hasPrefix("10.200.") else {
            throw ValidationError("--gateway must be on loopback or a test host of your own")
        }
        guard users >= groupSize, groupSize >= 2 else { throw ValidationError("need at least one group of 2 or more") }
        var logger = Logger(label: "chat-load")
        logger.logLevel = .warning
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let run = UUID().uuidString.prefix(6).lowercased()
        if let idle {
            try await IdleSockets(gateway: gateway, steps: idle, processes: try WatchedProcesses(processes), json: json)
                .run(http: http, logger: logger, run: run)
            try await http.shutdown()
            return
        }

        let sessions = try await registerAll(users, prefix: "load_\(run)", gateway: gateway, http: http)

        print("creating \(users / groupSize) groups of \(groupSize)…")
        var memberships: [[Int]] = []  // user indexes per group
        var conversationOf = [String](repeating: "", count: users)
        for start in stride(from: 0, to: users - groupSize + 1, by: groupSize) {
            let members = Array(start..<(start + groupSize))
            let id = try await createGroup(
                owner: sessions[start], members: members.dropFirst().map { sessions[$0].userId }, gateway: gateway, http: http)
            for member in members { conversationOf[member] = id }
            memberships.append(members)
        }

        let stats = Stats()
        print("connecting \(users) WebSockets…")
        let base = gateway.replacingOccurrences(of: "http://", with: "ws://").replacingOccurrences(of: "https://", with: "wss://")
        let clients = (0..<users).map { index in
            VirtualUser(index: index, session: sessions[index], conversationId: conversationOf[index], stats: stats)
        }
        let quietLogger = logger
        let connections = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in clients where !client.conversationId.isEmpty {
                    group.addTask { try await client.connect(url: base + "/v1/ws", logger: quietLogger) }
                }
                try await group.waitForAll()
            }
        }
        for client in clients where !client.conversationId.isEmpty { await client.waitUntilReady() }

        let senders = clients.filter { !$0.conversationId.isEmpty }
        let ladder =
            try rates.map { list in
                try list.split(separator: ",").map { entry in
                    guard let value = Int(entry.trimmingCharacters(in: .whitespaces)), value > 0 else { throw ValidationError("--rates: \(entry)") }
                    return value
                }
            } ?? [rate]
        let cpu = try WatchedProcesses(processes)
        let productNames = Set(product.split(separator: ",").map(String.init))
        var steps: [[String: Any]] = []
        var numbered = 0
        for stepRate in ladder {
            stats.startStep(at: DispatchTime.now().uptimeNanoseconds)
            print("sending \(stepRate) messages/s for \(duration) s from \(senders.count) users…")
            let before = cpu.sample()
            let started = ContinuousClock.now
            numbered = try await send(rate: stepRate, from: senders, numberingAfter: numbered)
            let sending = ContinuousClock.now - started
            let after = cpu.sample()
            try await Task.sleep(for: .seconds(drain))
            var (text, summary) = stats.report(groupSize: groupSize, users: users, rate: stepRate, duration: duration)
            let seconds = Double(sending.components.seconds) + Double(sending.components.attoseconds) / 1e18
            var percent: [String: Double] = [:]
            for (name, used) in after { percent[name] = (used - (before[name] ?? 0)) / seconds * 100 }
            let productPercent = percent.filter { productNames.contains($0.key) }.values.reduce(0, +)
            let deliveriesPerSecond = Double(summary["expectedDeliveries"] as? Int ?? 0) / seconds
            let perDelivery = deliveriesPerSecond > 0 ? productPercent / 100 / deliveriesPerSecond * 1000 : 0
            summary["cpuPercent"] = percent
            summary["productCpuPercent"] = productPercent
            summary["productCpuMsPerDelivery"] = perDelivery
            text +=
                "\nCPU % of a core: " + percent.sorted { $0.value > $1.value }.map { "\($0.key) \(Int($0.value.rounded()))" }.joined(separator: ", ")
            text += "\nproduct CPU \(Int(productPercent.rounded())) % = \(String(format: "%.4f", perDelivery)) ms per delivered message"
            print(text)
            steps.append(summary)
        }
        stats.finish()
        connections.cancel()

        let document: [String: Any] = rates == nil ? steps[0] : ["steps": steps]
        try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys]).write(to: URL(filePath: json))
        print("report written to \(json)")
        try await http.shutdown()
    }

    /// Sends `rate` messages a second for `duration` seconds, taking the senders in turn, numbering the messages
    /// after `last` (every message of the run has its own clientMessageId); returns the last number.
    private func send(rate: Int, from senders: [VirtualUser], numberingAfter last: Int) async throws -> Int {
        let interval = Duration.seconds(1) / rate
        let started = ContinuousClock.now
        var sequence = 0
        while ContinuousClock.now - started < .seconds(duration) {
            let due = started + interval * sequence
            if due > .now { try await Task.sleep(until: due) }
            let sender = senders[sequence % senders.count]
            sequence += 1
            let number = last + sequence
            Task { await sender.send(number: number) }
        }
        return last + sequence
    }
}

/// A signed-in user.
struct Session: Sendable {
    let userId: String
    let accessToken: String
}

/// Signs `count` users up (`<prefix>_<index>`), 16 at a time, in index order.
func registerAll(_ count: Int, prefix: String, gateway: String, http: HTTPClient) async throws -> [Session] {
    print("registering \(count) users…")
    return try await withThrowingTaskGroup(of: (Int, Session).self) { group in
        var sessions = [Session?](repeating: nil, count: count)
        var next = 0
        func add() {
            let index = next
            next += 1
            group.addTask { (index, try await register("\(prefix)_\(index)", gateway: gateway, http: http)) }
        }
        for _ in 0..<min(16, count) { add() }
        while let (index, session) = try await group.next() {
            sessions[index] = session
            if next < count { add() }
        }
        return sessions.map { $0! }
    }
}

/// Signs `username` up, coming back after `Retry-After` when auth is busy hashing (503), as a client does.
func register(_ username: String, gateway: String, http: HTTPClient) async throws -> Session {
    for _ in 0..<30 {
        var request = HTTPClientRequest(url: gateway + "/v1/auth/register")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"username":"\#(username)","password":"load-test-password"}"#))
        let response = try await http.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 1 << 20)
        if response.status == .serviceUnavailable, let wait = response.headers.first(name: "Retry-After").flatMap(Int.init) {
            try await Task.sleep(for: .seconds(wait))
            continue
        }
        guard response.status == .created,
            let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let user = json["user"] as? [String: Any], let id = user["id"] as? String, let token = json["accessToken"] as? String
        else { throw LoadError("register \(username): \(response.status) \(String(buffer: body))") }
        return Session(userId: id, accessToken: token)
    }
    throw LoadError("register \(username): auth stayed busy")
}

private func createGroup(owner: Session, members: [String], gateway: String, http: HTTPClient) async throws -> String {
    var request = HTTPClientRequest(url: gateway + "/v1/conversations")
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    request.headers.add(name: "Authorization", value: "Bearer \(owner.accessToken)")
    let body = try JSONSerialization.data(withJSONObject: ["type": "group", "title": "load", "memberIds": members])
    request.body = .bytes(ByteBuffer(bytes: body))
    let response = try await http.execute(request, timeout: .seconds(30))
    let answer = try await response.body.collect(upTo: 1 << 20)
    guard response.status == .created, let json = try JSONSerialization.jsonObject(with: Data(answer.readableBytesView)) as? [String: Any],
        let id = json["id"] as? String
    else { throw LoadError("create group: \(response.status) \(String(buffer: answer))") }
    return id
}

struct LoadError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
