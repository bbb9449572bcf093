import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A Redis Cluster client that routes every keyed command to the master owning the key's ``HashSlot``.
///
/// The topology comes from `CLUSTER SLOTS` on any seed and is refreshed after a `MOVED` reply; `ASK` replies are
/// followed with `ASKING` without changing the map. hiredis calls block, so they run on this client's own worker
/// threads, never on an event loop.
public final class RedisClusterClient: Service, Sendable {
    public let configuration: RedisClusterConfiguration
    private let threadPool: NIOThreadPool
    private let slots = Mutex<SlotMap?>(nil)
    private let idleConnections = Mutex<[NodeAddress: [NodeConnection]]>([:])
    private let logger: Logger

    public init(configuration: RedisClusterConfiguration, logger: Logger) {
        self.configuration = configuration
        self.threadPool = NIOThreadPool(numberOfThreads: configuration.workerThreads)
        self.threadPool.start()
        self.logger = logger
    }

    /// The linked hiredis version.
    public static var libraryVersion: String { NodeConnection.libraryVersion }

    /// Runs the ``ServiceLifecycle/Service``: waits for graceful shutdown, then closes connections.
    public func run() async throws {
        try? await gracefulShutdown()
        try await threadPool.shutdownGracefully()
        idleConnections.withLock { $0.removeAll() }
    }

    /// Sends a command routed by `key` (or to any master when `key` is nil) and returns its reply.
    /// Error replies other than redirects are thrown as ``RedisError/Kind/server``.
    public func command(_ arguments: [String], key: String?) async throws -> RESPValue {
        let slot = key.map { HashSlot(key: $0) }
        var target = try await node(for: slot)
        var asking = false
        for _ in 0...configuration.maxRedirects {
            let reply = try await send(arguments, to: target, asking: asking)
            guard case .error(let message) = reply else { return reply }
            let parts = message.split(separator: " ")
            switch parts.first {
            case "MOVED" where parts.count == 3:
                guard let address = NodeAddress(String(parts[2])) else { break }
                slots.withLock { map in map?[slot ?? HashSlot(rawValue: Int(parts[1]) ?? 0)!] = address }
                target = address
                asking = false
                continue
            case "ASK" where parts.count == 3:
                guard let address = NodeAddress(String(parts[2])) else { break }
                target = address
                asking = true
                continue
            default: break
            }
            throw RedisError(kind: .server, message: message)
        }
        throw RedisError(kind: .tooManyRedirects, message: "more than \(configuration.maxRedirects) redirects for \(arguments.first ?? "")")
    }

    /// `GET key`.
    public func get(_ key: String) async throws -> String? {
        try await command(["GET", key], key: key).string
    }

    /// `SET key value [PX milliseconds]`.
    public func set(_ key: String, _ value: String, expiresInMilliseconds: Int? = nil) async throws {
        var arguments = ["SET", key, value]
        if let expiresInMilliseconds { arguments += ["PX", String(expiresInMilliseconds)] }
        _ = try await command(arguments, key: key)
    }

    /// Checks that a seed answers and reports `cluster_state:ok`; used by readiness probes.
    public func checkCluster() async throws {
        let info = try await command(["CLUSTER", "INFO"], key: nil)
        guard let text = info.string, text.contains("cluster_state:ok") else {
            throw RedisError(kind: .server, message: "cluster state is not ok")
        }
    }

    /// Reloads the slot map from the first seed or known master that answers.
    public func refreshTopology() async throws {
        let known = slots.withLock { $0?.masters } ?? []
        var lastError: Error = RedisError(kind: .connection, message: "no seed nodes configured")
        for address in configuration.seeds + known {
            do {
                let reply = try await send(["CLUSTER", "SLOTS"], to: address, asking: false)
                let map = try SlotMap(clusterSlotsReply: reply, defaultHost: address.host)
                slots.withLock { $0 = map }
                return
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private func node(for slot: HashSlot?) async throws -> NodeAddress {
        guard let slot else {
            guard let seed = configuration.seeds.first else {
                throw RedisError(kind: .connection, message: "no seed nodes configured")
            }
            return seed
        }
        if let owner = slots.withLock({ $0?[slot] }) { return owner }
        try await refreshTopology()
        guard let owner = slots.withLock({ $0?[slot] }) else {
            throw RedisError(kind: .slotNotCovered, message: "no node serves slot \(slot)")
        }
        return owner
    }

    private func send(_ arguments: [String], to address: NodeAddress, asking: Bool) async throws -> RESPValue {
        let configuration = self.configuration
        return try await threadPool.runIfActive { [self] in
            let connection = try idleConnections.withLock { $0[address]?.popLast() }
                ?? NodeConnection(
                    address: address, timeoutMilliseconds: configuration.commandTimeoutMilliseconds,
                    username: configuration.username, password: configuration.password)
            // A connection that failed mid-command is dropped (its state is unknown); healthy ones go back.
            if asking { _ = try connection.command(["ASKING"]) }
            let reply = try connection.command(arguments)
            idleConnections.withLock { $0[address, default: []].append(connection) }
            return reply
        }
    }
}

extension NodeConnection: @unchecked Sendable {}
