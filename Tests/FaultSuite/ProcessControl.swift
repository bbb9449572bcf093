import AsyncHTTPClient
import Foundation
import Synchronization

/// One of the product's executables, run by the suite as a child process on a port of its own, logging to a file.
/// It can be killed (SIGKILL, like a crash) and started again with the same settings.
final class ProductProcess: Sendable {
    /// The instance's name in reports and log files (`chat-a`).
    let name: String
    let executable: URL
    let port: Int
    let environment: [String: String]
    let logFile: URL
    private let process = Mutex<Child?>(nil)
    private let pidFile: PidFile

    init(name: String, executable: URL, port: Int, environment: [String: String], logDirectory: URL, pidFile: PidFile) {
        self.name = name
        self.executable = executable
        self.port = port
        self.environment = environment
        self.logFile = logDirectory.appending(path: "\(name).log")
        self.pidFile = pidFile
    }

    var pid: Int32? { process.withLock { $0.flatMap { $0.isRunning ? $0.pid : nil } } }

    /// Starts the process, appending to its log.
    func start() throws {
        let child = try Child(executable: executable.path, arguments: [], environment: environment, output: logFile.path)
        process.withLock { $0 = child }
        pidFile.add(child.pid)
    }

    /// Kills the process with SIGKILL and waits (at most 10 s) until it is gone.
    func kill9() async {
        guard let child = process.withLock({ $0 }), child.isRunning else { return }
        child.signal(SIGKILL)
        _ = await child.waitForExit(timeout: .seconds(10))
        pidFile.remove(child.pid)
    }

    /// SIGTERM, then SIGKILL after `grace`.
    func stop(grace: Duration = .seconds(10)) async {
        guard let child = process.withLock({ $0 }), child.isRunning else { return }
        child.signal(SIGTERM)
        if !(await child.waitForExit(timeout: grace)) {
            child.signal(SIGKILL)
            _ = await child.waitForExit(timeout: .seconds(5))
        }
        pidFile.remove(child.pid)
    }

    /// Waits until `GET /ready` answers 200, failing after `timeout` or when the process exits.
    func waitReady(http: HTTPClient, timeout: Duration = .seconds(90)) async throws {
        let deadline = ContinuousClock.now + timeout
        var last = "no answer"
        while ContinuousClock.now < deadline {
            guard pid != nil else { throw SuiteError("\(name) exited during start; see \(logFile.path)") }
            do {
                let response = try await http.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/ready"), timeout: .seconds(5))
                let body = try await response.body.collect(upTo: 1 << 16)
                if response.status.code == 200 { return }
                last = "\(response.status.code) \(String(buffer: body))"
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw SuiteError("\(name) not ready after \(timeout): \(last); see \(logFile.path)")
    }
}

/// The PIDs of the product processes the suite started, one per line, so that the calling script can end them
/// should the suite itself die.
final class PidFile: Sendable {
    let url: URL
    private let pids = Mutex<Set<Int32>>([])

    init(url: URL) {
        self.url = url
        try? "".write(to: url, atomically: true, encoding: .utf8)
    }

    func add(_ pid: Int32) { update { $0.insert(pid) } }
    func remove(_ pid: Int32) { update { $0.remove(pid) } }

    private func update(_ change: (inout Set<Int32>) -> Void) {
        pids.withLock { pids in
            change(&pids)
            try? pids.sorted().map(String.init).joined(separator: "\n").appending("\n").write(to: url, atomically: true, encoding: .utf8)
        }
    }
}

/// The whole product as the suite runs it: gateway, auth, user, two chat instances and notification, on ports
/// `base`…`base + 5` (the gateway's internal listener on `base + 9`), with the isolated stack's environment.
final class Product: Sendable {
    let gateway: ProductProcess
    let auth: ProductProcess
    let user: ProductProcess
    let chatA: ProductProcess
    let chatB: ProductProcess
    let notification: ProductProcess
    var all: [ProductProcess] { [auth, user, chatA, chatB, notification, gateway] }

    /// - Parameters:
    ///   - stack: the stack's environment file, parsed.
    ///   - overrides: settings for every service on top of the stack's (bcrypt cost, token lifetime, limits).
    init(binDirectory: URL, basePort: Int, stack: [String: String], overrides: [String: String], logDirectory: URL, pidFile: PidFile) {
        // The suite's own environment without any CHAT_ setting a developer's shell may hold.
        var common = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CHAT_") }
        common.merge(stack) { _, stack in stack }
        common.merge(overrides) { _, own in own }
        common["CHAT_LOG_LEVEL"] = common["CHAT_LOG_LEVEL"] ?? "info"
        let postgres =
            stack["CHAT_POSTGRES_HOST_URL"]
            ?? (stack["CHAT_POSTGRES_ADMIN_URL"] ?? "postgresql://chat:chat@127.0.0.1:55432/postgres").replacingOccurrences(of: "/postgres", with: "")
        let ports = (
            gateway: basePort, auth: basePort + 1, user: basePort + 2, chatA: basePort + 3, chatB: basePort + 4,
            notification: basePort + 5
        )
        // Where each service finds the others (the gateway routes to them; chat asks user's internal API).
        common["CHAT_UPSTREAM_AUTH"] = "http://127.0.0.1:\(ports.auth)"
        common["CHAT_UPSTREAM_USER"] = "http://127.0.0.1:\(ports.user)"
        common["CHAT_UPSTREAM_CHAT"] = "http://127.0.0.1:\(ports.chatA),http://127.0.0.1:\(ports.chatB)"
        common["CHAT_UPSTREAM_NOTIFICATION"] = "http://127.0.0.1:\(ports.notification)"
        func process(_ name: String, _ executable: String, port: Int, database: String, extra: [String: String] = [:]) -> ProductProcess {
            var environment = common
            environment["CHAT_HTTP_PORT"] = String(port)
            environment["CHAT_POSTGRES_URL"] = "\(postgres)/\(database)"
            environment.merge(extra) { _, own in own }
            return ProductProcess(
                name: name, executable: binDirectory.appending(path: executable), port: port,
                environment: environment, logDirectory: logDirectory, pidFile: pidFile)
        }
        auth = process("auth", "auth", port: ports.auth, database: "identity")
        user = process("user", "user", port: ports.user, database: "identity")
        chatA = process("chat-a", "chat", port: ports.chatA, database: "chat")
        chatB = process("chat-b", "chat", port: ports.chatB, database: "chat")
        notification = process("notification", "notification", port: ports.notification, database: "notification")
        // The gateway's internal listener (/metrics) on the last port of the suite's range.
        gateway = process(
            "api-gateway", "api-gateway", port: ports.gateway, database: "gateway",
            extra: ["CHAT_ADMIN_PORT": String(basePort + 9)])
    }

    /// Starts every service (auth first: the others need its JWKS only later) and waits until each is ready.
    func start(http: HTTPClient) async throws {
        for process in all {
            guard !portAnswers(process.port) else {
                throw SuiteError("port \(process.port) for \(process.name) is taken by another process")
            }
        }
        for process in all { try process.start() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for process in all { group.addTask { try await process.waitReady(http: http) } }
            try await group.waitForAll()
        }
    }

    func stop() async {
        await withTaskGroup(of: Void.self) { group in
            for process in all { group.addTask { await process.stop() } }
        }
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    private func portAnswers(_ port: Int) -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
