import ArgumentParser
import Foundation
import Logging
import RedisCluster
import ServiceKit

/// Measures GET and SET throughput of ``RedisClusterClient`` at pipeline depth 1 and 16 with concurrent tasks, then
/// runs `redis-benchmark --cluster` with the same requests, clients and depth on the same cluster and prints both
/// with their ratio. Its tasks run on NIO's event loops, as the services' do (``EventLoopTaskExecutor``).
@main
struct RedisClusterBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis-cluster-benchmark",
        abstract: "GET/SET ops/s of the cluster client next to redis-benchmark --cluster.")

    @Option(help: "A seed node (host:port) of the cluster to measure; it must be on this machine.")
    var seed = "127.0.0.1:7000"

    @Option(help: "Requests per measurement.")
    var requests = 200_000

    @Option(help: "Concurrent tasks (and redis-benchmark clients).")
    var tasks = 50

    @Option(help: "Multiplexed connections per node.")
    var connectionsPerNode = 1

    @Option(name: .customLong("depth"), help: "Pipeline depths to measure (repeatable).")
    var depths = [1, 16]

    @Option(help: "Distinct keys used.")
    var keyspace = 10_000

    func run() async throws {
        try await withTaskExecutorPreference(EventLoopTaskExecutor(.singleton)) { try await measureAll() }
    }

    private func measureAll() async throws {
        guard let address = NodeAddress(seed), ["127.0.0.1", "localhost", "::1"].contains(address.host) else {
            throw ValidationError("--seed must be host:port on loopback")
        }
        let client = RedisClusterClient(
            configuration: .init(seeds: [address], connectionsPerNode: connectionsPerNode),
            logger: Logger(label: "benchmark"))
        try await client.checkCluster()
        let keys = (0..<keyspace).map { "bench:\($0)" }
        try await client.mset(keys.map { ($0, "xxx") })  // GETs find values, as redis-benchmark's do after its SET run

        print("requests \(requests), tasks/clients \(tasks), connections per node \(connectionsPerNode), keyspace \(keyspace)")
        print("operation  depth  client ops/s  redis-benchmark ops/s  ratio  client CPU µs/op  redis-benchmark CPU µs/op")
        for depth in depths {
            for operation in ["SET", "GET"] {
                let ourCPU = CPUTime.of(RUSAGE_SELF)
                let ours = try await measure(client, operation: operation, depth: depth, keys: keys)
                let ourCost = (CPUTime.of(RUSAGE_SELF) - ourCPU) / Double(requests) * 1e6
                let theirCPU = CPUTime.of(RUSAGE_CHILDREN)
                let theirs = try redisBenchmark(address, operation: operation, depth: depth)
                let theirCost = (CPUTime.of(RUSAGE_CHILDREN) - theirCPU) / Double(requests) * 1e6
                let ratio = theirs > 0 ? String(format: "%.0f %%", ours / theirs * 100) : "-"
                print(
                    String(
                        format: "%-9@  %5d  %12.0f  %21.0f  %5@  %16.2f  %25.2f", operation, depth, ours, theirs, ratio, ourCost,
                        theirCost))
            }
        }
        await client.close()
    }

    /// Runs `requests` commands over `tasks` concurrent tasks, `depth` per round trip; returns commands per second.
    private func measure(_ client: RedisClusterClient, operation: String, depth: Int, keys: [String]) async throws -> Double {
        let perTask = requests / tasks
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    // As redis-benchmark's own random(): no system call per key.
                    var generator = SplitMix64(seed: UInt64.random(in: 1...UInt64.max))
                    for _ in 0..<(perTask / depth) {
                        let batch = (0..<depth).map { _ -> RedisCommand in
                            let key = keys[Int(generator.next() % UInt64(keys.count))]
                            return operation == "SET" ? RedisCommand(["SET", key, "xxx"], keys: [key]) : RedisCommand(["GET", key], keys: [key])
                        }
                        if depth == 1 { try await client.send(batch[0]) } else { _ = try await client.pipeline(batch) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        return Double(perTask / depth * depth * tasks) / seconds
    }

    /// `redis-benchmark --cluster -t operation -P depth --csv` on the same cluster; its requests per second.
    private func redisBenchmark(_ address: NodeAddress, operation: String, depth: Int) throws -> Double {
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/env")
        process.arguments = [
            "redis-benchmark", "--cluster", "-h", address.host, "-p", String(address.port), "-t", operation.lowercased(),
            "-n", String(requests), "-c", String(tasks), "-P", String(depth), "-r", String(keyspace), "-d", "3", "--csv",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // "test","rps",…  then  "SET","123456.78",…
        guard let line = text.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("\"\(operation)\"") }),
            let rps = Double(line.split(separator: ",")[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
        else { return 0 }
        return rps
    }
}

/// Seconds of CPU (user and system) used so far by this process or by its waited-for children.
enum CPUTime {
    static func of(_ who: __rusage_who) -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(who.rawValue), &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

/// A fast pseudo-random generator for picking keys (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
