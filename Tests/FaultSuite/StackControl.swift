import Foundation

/// The isolated stack the suite breaks: its environment file (written by `scripts/stack.sh`) and the script itself,
/// which restarts what the suite killed. Nothing here touches a server that the stack's state directory did not start.
struct StackControl: Sendable {
    let environment: [String: String]
    let script: URL
    let stateDirectory: URL

    init(environmentFile: URL, script: URL) throws {
        guard let text = try? String(contentsOf: environmentFile, encoding: .utf8) else {
            throw SuiteError("no stack environment at \(environmentFile.path): start the stack with scripts/stack.sh start")
        }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        guard let state = values["CHAT_STATE_DIR"] else { throw SuiteError("\(environmentFile.path) names no CHAT_STATE_DIR") }
        environment = values
        self.script = script
        stateDirectory = URL(filePath: state)
    }

    /// `scripts/stack.sh <arguments>` on this stack; throws with its output when it fails.
    func stackScript(_ arguments: String...) async throws {
        var variables = ["CHAT_STATE_DIR": stateDirectory.path]
        if let offset = environment["CHAT_STACK_PORT_OFFSET"] { variables["CHAT_STACK_PORT_OFFSET"] = offset }
        let result = try await run("/bin/bash", [script.path] + arguments, environment: variables)
        guard result.status == 0 else { throw SuiteError("stack.sh \(arguments.joined(separator: " ")) failed: \(result.output)") }
    }

    // MARK: Redis

    /// The Redis Cluster's masters that serve slots, by port.
    func redisMasters() async throws -> [Int] {
        guard let seed = environment["CHAT_REDIS_NODES"]?.split(separator: ",").first,
            let port = seed.split(separator: ":").last.map(String.init)
        else { throw SuiteError("no CHAT_REDIS_NODES in the stack environment") }
        let result = try await run("/usr/bin/env", ["redis-cli", "-p", port, "cluster", "nodes"])
        // <id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot>...
        return result.output.split(separator: "\n").compactMap { line -> Int? in
            let fields = line.split(separator: " ")
            guard fields.count > 8, fields[2].contains("master"), !fields[2].contains("fail"),
                let address = fields[1].split(separator: "@").first, let port = address.split(separator: ":").last
            else { return nil }
            return Int(port)
        }.sorted()
    }

    /// Kills the Redis master on `port` with SIGKILL (its PID is the one the stack recorded).
    func killRedisNode(port: Int) throws {
        try killRecorded("redis-\(port)")
    }

    /// Starts the killed Redis nodes again and waits until the cluster is ok.
    func restartRedis() async throws { try await stackScript("start", "redis") }

    // MARK: PostgreSQL, DocumentDB stand-in, Kafka

    func stopPostgres() async throws { try await stackScript("stop", "postgres") }
    func startPostgres() async throws { try await stackScript("start", "postgres") }

    func killMongo() throws { try killRecorded("mongo") }
    func startMongo() async throws { try await stackScript("start", "mongo") }

    /// Writes a command (`down 1`, `up 1`) to the Kafka mock cluster's control FIFO.
    func kafka(_ command: String) throws {
        guard let path = environment["CHAT_KAFKA_CONTROL"], let fifo = FileHandle(forWritingAtPath: path) else {
            throw SuiteError("cannot open the Kafka mock's control FIFO (CHAT_KAFKA_CONTROL)")
        }
        defer { try? fifo.close() }
        try fifo.write(contentsOf: Data("\(command)\n".utf8))
    }

    // MARK: Helpers

    /// SIGKILL to the process whose PID the stack recorded in run/`name`.pid, then waits until it is gone.
    private func killRecorded(_ name: String) throws {
        let file = stateDirectory.appending(path: "run/\(name).pid")
        guard let text = try? String(contentsOf: file, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), kill(pid, 0) == 0
        else { throw SuiteError("\(name) is not running (no live PID in \(file.path))") }
        kill(pid, SIGKILL)
        for _ in 0..<200 where kill(pid, 0) == 0 { usleep(10_000) }
    }
}
