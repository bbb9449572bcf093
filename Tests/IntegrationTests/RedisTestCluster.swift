import Foundation
import NIOCore
import NIOPosix
import RedisCluster

/// Direct access to the nodes of one of the stack's Redis clusters, for setting up and breaking things in tests:
/// `redis-cli` against a single node, node ids and roles, and the process of each node.
struct RedisTestCluster {
    /// The cluster the product uses (`CHAT_REDIS_NODES`).
    static let main = RedisTestCluster(seedsVariable: "CHAT_REDIS_NODES")
    /// The cluster that failover and resharding tests may break (`CHAT_REDIS_FAULTS_NODES`).
    static let faults = RedisTestCluster(seedsVariable: "CHAT_REDIS_FAULTS_NODES")

    let seeds: [NodeAddress]

    init(seedsVariable: String) {
        seeds = TestStack[seedsVariable].split(separator: ",").compactMap { NodeAddress(String($0)) }
    }

    func client(
        commandTimeoutMilliseconds: Int = 1000, retryDeadlineMilliseconds: Int = 15_000, readFromReplicas: Bool = false,
        eventLoopGroup: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) -> RedisClusterClient {
        RedisClusterClient(
            configuration: .init(
                seeds: seeds, commandTimeoutMilliseconds: commandTimeoutMilliseconds,
                retryDeadlineMilliseconds: retryDeadlineMilliseconds, readFromReplicas: readFromReplicas),
            eventLoopGroup: eventLoopGroup, logger: TestStack.logger)
    }

    /// Runs `redis-cli -p port args…` and returns its output.
    @discardableResult
    static func cli(_ port: Int, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/env")
        process.arguments = ["redis-cli", "-p", String(port)] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A node as `CLUSTER NODES` describes it.
    struct Node {
        let id: String
        let port: Int
        let isMaster: Bool
        /// For a replica, the id of its master.
        let masterId: String?
        let slots: [ClosedRange<Int>]
    }

    /// The cluster's nodes that are up, as seen by the first seed that answers.
    func nodes() throws -> [Node] {
        for seed in seeds {
            let text = try Self.cli(seed.port, ["CLUSTER", "NODES"])
            guard text.contains("myself") else { continue }
            return text.split(whereSeparator: \.isNewline).compactMap { line in
                let fields = line.split(separator: " ").map(String.init)
                guard fields.count >= 8, !fields[2].contains("fail"), let port = NodeAddress(String(fields[1].split(separator: "@")[0]))?.port
                else { return nil }
                let slots = fields.dropFirst(8).compactMap { field -> ClosedRange<Int>? in
                    let bounds = field.split(separator: "-").compactMap { Int($0) }
                    return bounds.count == 2 ? bounds[0]...bounds[1] : bounds.count == 1 && !field.hasPrefix("[") ? bounds[0]...bounds[0] : nil
                }
                return Node(
                    id: fields[0], port: port, isMaster: fields[2].contains("master"), masterId: fields[3] == "-" ? nil : fields[3], slots: slots)
            }
        }
        throw RedisError(kind: .connectionRefused, message: "no seed answered CLUSTER NODES")
    }

    /// The master serving `slot`.
    func master(of slot: Int) throws -> Node {
        guard let node = try nodes().first(where: { $0.isMaster && $0.slots.contains { $0.contains(slot) } }) else {
            throw RedisError(kind: .slotNotCovered, message: "no master serves \(slot)")
        }
        return node
    }

    /// Waits (at most 20 s) until `master` has a replica that is online and has copied everything, so that killing
    /// the master leads to a failover rather than to a shard without a candidate.
    func waitUntilReplicated(_ master: Node) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let info = try Self.cli(master.port, ["INFO", "replication"])
            let lines = info.split(whereSeparator: \.isNewline)
            let offset = lines.first { $0.hasPrefix("master_repl_offset:") }.flatMap { Int($0.split(separator: ":")[1]) }
            // slave0:ip=127.0.0.1,port=7103,state=online,offset=1234,lag=0
            let synced = lines.contains { line in
                guard line.hasPrefix("slave"), line.contains("state=online"), let offset,
                    let field = line.split(separator: ",").first(where: { $0.hasPrefix("offset=") }),
                    let copied = Int(field.dropFirst("offset=".count))
                else { return false }
                return offset - copied < 100_000
            }
            if synced { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw RedisError(kind: .timeout, message: "no replica of \(master.port) caught up within 20 s")
    }

    /// Waits (at most 10 s) until `redis-cli --cluster check` finds every node agreeing on who serves each slot,
    /// every slot covered and none importing or migrating: after a reshard, gossip may still be spreading the last
    /// slot moves.
    func waitUntilNodesAgree() async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        var report = ""
        while ContinuousClock.now < deadline {
            report = try Self.cli(seeds[0].port, ["--cluster", "check", "127.0.0.1:\(seeds[0].port)"])
            if report.contains("[OK] All nodes agree about slots configuration."), report.contains("[OK] All 16384 slots covered."),
                !report.contains("[ERR]"), !report.contains("[WARNING]")
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw RedisError(kind: .timeout, message: "the nodes did not agree within 10 s: \(report)")
    }

    /// How many times the node on `port` has run `command` (from `INFO commandstats`).
    static func calls(of command: String, on port: Int) throws -> Int {
        let stats = try cli(port, ["INFO", "commandstats"])
        guard let line = stats.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cmdstat_\(command):calls=") }) else { return 0 }
        return Int(line.dropFirst("cmdstat_\(command):calls=".count).prefix { $0.isNumber }) ?? 0
    }

    /// The process id of the node on `port`.
    static func pid(of port: Int) throws -> pid_t {
        let file = URL(filePath: TestStack["CHAT_STATE_DIR"]).appending(path: "run/redis-\(port).pid")
        guard let pid = pid_t(try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw RedisError(kind: .connectionRefused, message: "no pid for node \(port)")
        }
        return pid
    }

    /// Restarts killed nodes and waits until the cluster is ok again, through the stack script.
    ///
    /// Through `system`, not `Process`: the restarted redis-server daemon would inherit the descriptor that
    /// `Process` watches for the child's exit, and the wait would never end.
    static func restoreFaultsCluster() throws {
        let script = TestStack.repositoryRoot.appending(path: "scripts/stack.sh").path
        let status = system("CHAT_STATE_DIR='\(TestStack["CHAT_STATE_DIR"])' bash '\(script)' start redis-faults >/dev/null 2>&1")
        guard status == 0 else {
            throw RedisError(kind: .connectionRefused, message: "scripts/stack.sh start redis-faults failed (\(status))")
        }
    }
}
