import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import Logging
import Synchronization

/// Memory per idle WebSocket: from a fresh start of the services, opens sockets through the gateway in steps (each
/// user holds up to the contract's 20), waits for every socket's `hello`, and reports each watched process's resident
/// memory growth divided by the sockets open.
struct IdleSockets {
    let gateway: String
    let steps: String
    let processes: WatchedProcesses
    let json: String
    /// Sockets per user: the contract's limit.
    static let socketsPerUser = 20

    func run(http: HTTPClient, logger: Logger, run: String) async throws {
        let counts = try steps.split(separator: ",").map { entry in
            guard let count = Int(entry), count > 0 else { throw LoadError("--idle: \(entry)") }
            return count
        }
        let baseline = processes.residentKilobytes()
        let users = (counts.max()! + Self.socketsPerUser - 1) / Self.socketsPerUser
        let sessions = try await registerAll(users, prefix: "idle_\(run)", gateway: gateway, http: http)
        let url = gateway.replacingOccurrences(of: "http://", with: "ws://") + "/v1/ws"
        let opened = AsyncStream<Void>.makeStream()
        var waiter = opened.stream.makeAsyncIterator()
        var open = 0
        var results: [[String: Any]] = []
        var tasks: [Task<Void, Never>] = []
        for count in counts {
            while open < count {
                let session = sessions[open / Self.socketsPerUser]
                tasks.append(Task { await Self.hold(url: url, session: session, logger: logger, opened: opened.continuation) })
                open += 1
                // At most 200 handshakes in flight.
                if open % 200 == 0 { for _ in 0..<200 { await waiter.next() } }
            }
            for _ in 0..<(open % 200) { await waiter.next() }
            let now = processes.residentKilobytes()
            var perSocket: [String: Double] = [:]
            for (name, kilobytes) in now where name != "chat-load" {
                perSocket[name] = Double(kilobytes - (baseline[name] ?? 0)) / Double(count)
            }
            let line = perSocket.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.1f", $0.value)) KB" }
            print(
                "\(count) idle sockets: \(line.joined(separator: ", ")), together \(String(format: "%.1f", perSocket.values.reduce(0, +))) KB per socket"
            )
            results.append(["sockets": count, "residentKB": now, "baselineKB": baseline, "kilobytesPerSocket": perSocket])
        }
        for task in tasks { task.cancel() }
        try JSONSerialization.data(withJSONObject: ["steps": results], options: [.prettyPrinted, .sortedKeys]).write(to: URL(filePath: json))
        print("report written to \(json)")
    }

    /// Opens one WebSocket, signals `opened` once at its `hello` (or its end, whatever happens first) and holds it,
    /// reading, until cancelled.
    private static func hold(url: String, session: Session, logger: Logger, opened: AsyncStream<Void>.Continuation) async {
        let signal = Once(opened)
        do {
            _ = try await WebSocketClient.connect(
                url: url,
                configuration: .init(
                    maxFrameSize: 1 << 16, additionalHeaders: [.authorization: "Bearer \(session.accessToken)"], autoPing: .disabled),
                logger: logger
            ) { inbound, _, _ in
                for try await _ in inbound.messages(maxSize: 1 << 16) { signal.fire() }
            }
        } catch is CancellationError {
            // The run is over: every socket is closed.
        } catch {
            print("a socket failed: \(error)")
        }
        signal.fire()
    }
}

/// Yields to a continuation the first time it fires.
private final class Once: Sendable {
    private let continuation: AsyncStream<Void>.Continuation
    private let fired = Mutex(false)

    init(_ continuation: AsyncStream<Void>.Continuation) { self.continuation = continuation }

    func fire() {
        if fired.withLock({ fired in
            defer { fired = true }
            return !fired
        }) {
            continuation.yield()
        }
    }
}
