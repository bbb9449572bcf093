import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A Redis Cluster client that routes every keyed command to the node owning the key's ``HashSlot``.
///
/// - Topology comes from `CLUSTER SHARDS` (or `CLUSTER SLOTS` on older servers) on any known node; it is reloaded
///   periodically, after a `MOVED`, after a connection failure and when a slot has no owner. Concurrent reloads
///   share one request.
/// - `MOVED` updates the slot's owner and retries there; `ASK` retries once on the target after `ASKING`.
/// - Unreachable masters and `TRYAGAIN`/`CLUSTERDOWN`/`LOADING`/`MASTERDOWN` are retried with backoff until
///   ``RedisClusterConfiguration/retryDeadlineMilliseconds``, which covers a replica's promotion after failover.
/// - A command whose connection broke after it was written is not retried (it may have been applied): the caller
///   gets ``RedisError/Kind/connection``. One that gets no reply in time fails with ``RedisError/Kind/timeout``.
/// - I/O is non-blocking on SwiftNIO; hiredis only formats commands and parses replies.
public final class RedisClusterClient: Service, Sendable {
    public let configuration: RedisClusterConfiguration
    private let group: EventLoopGroup
    private let logger: Logger
    private let topology = Mutex<ClusterTopology?>(nil)
    private let pools = Mutex<[PoolKey: NodePool]>([:])
    /// The topology reload under way, shared by everyone who needs one; nil when none runs or after ``close()``.
    private let refreshInFlight = Mutex<(task: Task<Void, Error>?, closed: Bool)>((nil, false))
    private let replicaCursor = Atomic<Int>(0)
    private let redirects = Atomic<Int>(0)

    private struct PoolKey: Hashable {
        let address: NodeAddress
        let readOnly: Bool
    }

    public init(
        configuration: RedisClusterConfiguration, eventLoopGroup: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.group = eventLoopGroup
        self.logger = logger
        ClusterMetrics.register()
    }

    /// The linked hiredis version (used for RESP formatting and parsing).
    public static var libraryVersion: String { RESPReplyReader.libraryVersion }

    /// How many MOVED and ASK redirects commands have followed so far.
    public var redirectsFollowed: Int { redirects.load(ordering: .relaxed) }

    /// Runs the ``ServiceLifecycle/Service``: reloads the topology periodically until graceful shutdown, then
    /// closes every connection.
    public func run() async throws {
        let interval = Duration.seconds(configuration.topologyRefreshIntervalSeconds)
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                do { try await self.refreshTopology() } catch {
                    self.logger.warning("topology refresh failed", metadata: ["error": "\(error)"])
                }
            }
        }
        await close()
    }

    /// Stops reloading the topology in the background and closes every connection; commands sent later open new
    /// ones.
    public func close() async {
        let reload = refreshInFlight.withLock { state in
            defer { state = (nil, true) }
            return state.task
        }
        reload?.cancel()
        let all = pools.withLock { pools in
            defer { pools.removeAll() }
            return Array(pools.values)
        }
        for pool in all { await pool.close() }
    }

    // MARK: Sending

    /// Sends `command` to the node serving its keys (any master when it has none) and returns the reply.
    /// Error replies are thrown as ``RedisError/Kind/server``; keys in different slots as ``RedisError/Kind/crossSlot``.
    @discardableResult
    public func send(_ command: RedisCommand) async throws -> RESPValue {
        let reply = try await execute(command, slot: try Self.slot(of: command))
        if case .error(let message) = reply { throw RedisError(kind: .server, message: message) }
        return reply
    }

    /// Sends a raw command routed by `key` (or to any master when `key` is nil).
    @discardableResult
    public func command(_ arguments: [String], key: String?) async throws -> RESPValue {
        try await send(RedisCommand(arguments, keys: key.map { [$0] } ?? []))
    }

    /// Sends many commands at once: grouped per node, each group pipelined on one connection, the groups in
    /// parallel. Replies come back in the order of `commands`; error replies are values (`.error`), redirects and
    /// transient states are followed per command.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        let slots = try commands.map { try Self.slot(of: $0) }
        var owners = routeAll(slots)
        if owners == nil {
            try await refreshTopology()
            owners = routeAll(slots)
        }
        guard let owners else { throw RedisError(kind: .slotNotCovered, message: "the topology does not cover every slot") }
        // A handful of nodes: finding a group by comparison is cheaper than hashing each address.
        var groups: [(node: NodeAddress, indexes: [Int])] = []
        for (index, node) in owners.enumerated() {
            if let group = groups.firstIndex(where: { $0.node == node }) {
                groups[group].indexes.append(index)
            } else {
                groups.append((node, [index]))
            }
        }

        // Every group's connection first (ready ones are taken at once), then send every group before waiting for any.
        var connections: [NodeConnection?] = []
        for group in groups {
            do {
                connections.append(try await pool(group.node, readOnly: false).connection())
            } catch let error as RedisError where error.kind == .connectionRefused {
                connections.append(nil)  // nothing sent: each command finds its node on its own
            }
        }
        // One wait for every group: the task is resumed once, when the last node answered, not once per node.
        let outcomes = await ReplyGathering.gather(groups.count) { group, gathering in
            guard let connection = connections[group] else { return false }
            connection.submit(groups[group].indexes.map { commands[$0] }, for: gathering, group: group)
            return true
        }
        var replies = [RESPValue](repeating: .null, count: commands.count)
        for ((node, indexes), outcome) in zip(groups, outcomes) {
            let answers: [RESPValue]
            do {
                answers = try NodeConnection.replies(outcome, from: node)
            } catch let error as RedisError where error.kind == .connectionRefused {
                // Nothing was written: each command finds its node on its own.
                for index in indexes { replies[index] = try await execute(commands[index], slot: slots[index]) }
                continue
            }
            for (index, answer) in zip(indexes, answers) {
                if case .result = ClusterReply(answer) {
                    replies[index] = answer
                } else {
                    replies[index] = try await execute(commands[index], slot: slots[index], firstReply: answer, from: node)
                }
            }
        }
        return replies
    }

    /// The slot all keys of `command` share, nil for keyless commands.
    static func slot(of command: RedisCommand) throws -> HashSlot? {
        guard let first = command.keys.first else { return nil }
        let slot = HashSlot(key: first)
        for key in command.keys.dropFirst() where HashSlot(key: key) != slot {
            throw RedisError(kind: .crossSlot, message: "\(command.name): keys \(first) and \(key) hash to different slots")
        }
        return slot
    }

    /// Sends `command` to the owner of `slot`, following redirects and waiting out transient states. Returns the
    /// final reply, which may be an ordinary error reply. `firstReply` is a reply already received from `node`.
    func execute(
        _ command: RedisCommand, slot: HashSlot?, firstReply: RESPValue? = nil, from node: NodeAddress? = nil
    ) async throws -> RESPValue {
        var backoff = RetryBackoff(deadline: .now + .milliseconds(configuration.retryDeadlineMilliseconds))
        var redirectCount = 0
        var askTarget: NodeAddress?
        var pendingReply = firstReply
        var readOnly = configuration.readFromReplicas && ReadOnlyCommands.contains(command.name)
        while true {
            let reply: RESPValue
            if let pending = pendingReply {
                reply = pending
                pendingReply = nil
            } else {
                var target = askTarget
                if target == nil { target = try await routeOrRefresh(slot, replica: readOnly) }
                guard let target else {
                    guard await backoff.wait() else {
                        throw RedisError(kind: .slotNotCovered, message: "no node serves slot \(slot.map(String.init(describing:)) ?? "-")")
                    }
                    try? await refreshTopology()
                    continue
                }
                do {
                    let readOnlyConnection = readOnly && askTarget == nil
                    let replies = try await pool(target, readOnly: readOnlyConnection).send(askTarget == nil ? [command] : [.asking, command])
                    guard let last = replies.last else { throw RedisError(kind: .protocolError, message: "\(target) sent no reply") }
                    reply = last
                } catch let error as RedisError where error.kind == .connectionRefused {
                    // The node is gone (failover?) or a replica is down: reload the map and retry on the master.
                    readOnly = false
                    askTarget = nil
                    logger.debug("node unreachable, retrying", metadata: ["node": "\(target)"])
                    ClusterMetrics.retries.increment()
                    try? await refreshTopology()
                    guard await backoff.wait() else { throw error }
                    continue
                } catch let error as RedisError where error.kind == .connection {
                    refreshInBackground()
                    throw error
                }
            }
            switch ClusterReply(reply) {
            case .result(let value):
                return value
            case .moved(let movedSlot, let address):
                redirects.add(1, ordering: .relaxed)
                ClusterMetrics.moved.increment()
                redirectCount += 1
                topology.withLock { $0?.move(movedSlot, to: address) }
                askTarget = nil
                readOnly = false
                refreshInBackground()
            case .ask(let address):
                redirects.add(1, ordering: .relaxed)
                ClusterMetrics.ask.increment()
                redirectCount += 1
                askTarget = address
            case .transient(let message):
                askTarget = nil
                logger.debug("transient reply, retrying", metadata: ["reply": "\(message)"])
                if message.hasPrefix("CLUSTERDOWN") || message.hasPrefix("MASTERDOWN") { try? await refreshTopology() }
                guard await backoff.wait() else { throw RedisError(kind: .server, message: message) }
                ClusterMetrics.retries.increment()
            }
            if redirectCount > configuration.maxRedirects {
                throw RedisError(kind: .tooManyRedirects, message: "more than \(configuration.maxRedirects) redirects for \(command.name)")
            }
        }
    }

    // MARK: Routing

    /// The node for `slot` (a replica when `replica` and one is known), reloading the topology once if unknown.
    func routeOrRefresh(_ slot: HashSlot?, replica: Bool = false) async throws -> NodeAddress? {
        if let node = route(slot, replica: replica) { return node }
        try await refreshTopology()
        return route(slot, replica: replica)
    }

    /// The master for each slot under one lock, or nil when some slot has no known owner.
    private func routeAll(_ slots: [HashSlot?]) -> [NodeAddress]? {
        topology.withLock { topology in
            guard let topology else { return nil }
            var owners: [NodeAddress] = []
            owners.reserveCapacity(slots.count)
            for slot in slots {
                guard let owner = slot.map({ topology.shard(for: $0)?.master }) ?? topology.masters.first else { return nil }
                owners.append(owner)
            }
            return owners
        }
    }

    private func route(_ slot: HashSlot?, replica: Bool) -> NodeAddress? {
        topology.withLock { topology in
            guard let topology else { return nil }
            guard let slot else { return topology.masters.first }
            guard let shard = topology.shard(for: slot) else { return nil }
            guard replica, !shard.replicas.isEmpty else { return shard.master }
            return shard.replicas[replicaCursor.wrappingAdd(1, ordering: .relaxed).oldValue % shard.replicas.count]
        }
    }

    private func pool(_ address: NodeAddress, readOnly: Bool) -> NodePool {
        let key = PoolKey(address: address, readOnly: readOnly)
        return pools.withLock { pools in
            if let pool = pools[key] { return pool }
            let pool = NodePool(address: address, group: group, configuration: configuration, readOnly: readOnly)
            pools[key] = pool
            return pool
        }
    }

    // MARK: Topology

    /// Reloads the topology from the first known node or seed that answers. Concurrent calls share one reload.
    public func refreshTopology() async throws {
        try await sharedReload().value
    }

    /// Starts a reload without waiting for it (after a redirect or a broken connection); a failure is logged. None
    /// starts once the client is closed.
    private func refreshInBackground() {
        let closed = refreshInFlight.withLock { $0.closed }
        guard !closed else { return }
        _ = sharedReload()
    }

    /// The reload under way, or a new one; it takes itself out of ``refreshInFlight`` when it ends.
    private func sharedReload() -> Task<Void, Error> {
        refreshInFlight.withLock { state in
            if let current = state.task { return current }
            let task = Task {
                defer { self.refreshInFlight.withLock { $0.task = nil } }
                do {
                    try await self.loadTopology()
                } catch {
                    self.logger.warning("topology reload failed", metadata: ["error": "\(error)"])
                    throw error
                }
            }
            if !state.closed { state.task = task }
            return task
        }
    }

    private func loadTopology() async throws {
        let known = topology.withLock { $0.map { $0.shards.flatMap { [$0.master] + $0.replicas } } } ?? []
        var candidates: [NodeAddress] = []
        for address in known + configuration.seeds where !candidates.contains(address) { candidates.append(address) }
        var lastError: Error = RedisError(kind: .connectionRefused, message: "no seed nodes configured")
        for address in candidates {
            do {
                let loaded = try await fetchTopology(from: address)
                guard !loaded.shards.isEmpty else {
                    lastError = RedisError(kind: .slotNotCovered, message: "\(address) reported no shard with an online master")
                    continue
                }
                topology.withLock { $0 = loaded }
                ClusterMetrics.topologyReloads.increment()
                return
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private func fetchTopology(from address: NodeAddress) async throws -> ClusterTopology {
        let pool = pool(address, readOnly: false)
        let shards = try await pool.send([RedisCommand(["CLUSTER", "SHARDS"])])[0]
        if case .error = shards {
            return try ClusterTopology(clusterSlotsReply: try await pool.send([RedisCommand(["CLUSTER", "SLOTS"])])[0], defaultHost: address.host)
        }
        return try ClusterTopology(clusterShardsReply: shards, defaultHost: address.host, tls: configuration.tls != nil)
    }

    /// Checks that a node answers and reports `cluster_state:ok`; used by readiness probes.
    public func checkCluster() async throws {
        let info = try await command(["CLUSTER", "INFO"], key: nil)
        guard let text = info.string, text.contains("cluster_state:ok") else {
            throw RedisError(kind: .server, message: "cluster state is not ok")
        }
    }

    /// Opens a dedicated subscriber connection to `address` (used by sharded pub/sub).
    func subscriberConnection(
        to address: NodeAddress, onPush: @escaping @Sendable (RESPValue) -> Void
    ) async throws -> NodeConnection {
        try await NodeConnection.connect(to: address, on: group, configuration: configuration, onPush: onPush)
    }
}
