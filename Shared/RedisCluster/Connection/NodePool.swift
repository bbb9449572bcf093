import NIOCore
import Synchronization

/// A few multiplexed connections to one node, used round robin. A closed connection is replaced on next use;
/// concurrent callers share one connect attempt.
final class NodePool: Sendable {
    let address: NodeAddress
    private let group: EventLoopGroup
    private let configuration: RedisClusterConfiguration
    private let readOnly: Bool
    private let connectionCount: Int
    /// Per connection slot: nothing yet, the connect under way (shared by every caller), or the connection.
    private let connections: Mutex<[Slot]>
    private let next = Atomic<Int>(0)

    private enum Slot {
        case empty
        case connecting(Task<NodeConnection, Error>)
        case connected(NodeConnection)
    }

    init(address: NodeAddress, group: EventLoopGroup, configuration: RedisClusterConfiguration, readOnly: Bool) {
        self.address = address
        self.group = group
        self.configuration = configuration
        self.readOnly = readOnly
        self.connectionCount = max(1, configuration.connectionsPerNode)
        self.connections = Mutex(Array(repeating: .empty, count: connectionCount))
    }

    /// Sends `commands` pipelined on one of the pool's connections.
    func send(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        try await connection().send(commands)
    }

    /// One of the pool's connections, connecting it first if needed.
    func connection() async throws -> NodeConnection {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue % connectionCount
        let (address, group, configuration, readOnly) = (address, group, configuration, readOnly)
        while true {
            let slot = connections.withLock { connections -> Slot in
                switch connections[index] {
                case .connected(let connection) where connection.isActive:
                    return connections[index]
                case .connecting:
                    return connections[index]
                case .empty, .connected:  // a closed connection is replaced
                    let task = Task { try await NodeConnection.connect(to: address, on: group, configuration: configuration, readOnly: readOnly) }
                    connections[index] = .connecting(task)
                    return connections[index]
                }
            }
            if case .connected(let connection) = slot { return connection }
            guard case .connecting(let task) = slot else { continue }
            do {
                let connection = try await task.value
                settle(task, at: index, with: connection)
                if connection.isActive { return connection }
            } catch {
                settle(task, at: index, with: nil)  // so that the next caller tries again
                throw error
            }
        }
    }

    /// Replaces the finished connect `task` in its slot by its connection (or by nothing when it failed), unless
    /// the slot moved on since.
    private func settle(_ task: Task<NodeConnection, Error>, at index: Int, with connection: NodeConnection?) {
        connections.withLock { connections in
            guard case .connecting(let current) = connections[index], current == task else { return }
            connections[index] = connection.map { .connected($0) } ?? .empty
        }
    }

    /// Closes every connection.
    func close() async {
        let slots = connections.withLock { connections in
            defer { connections = Array(repeating: .empty, count: connectionCount) }
            return connections
        }
        for slot in slots {
            switch slot {
            case .empty: break
            case .connecting(let task): try? await task.value.close()
            case .connected(let connection): connection.close()
            }
        }
    }
}
