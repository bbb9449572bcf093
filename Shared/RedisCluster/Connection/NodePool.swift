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
    /// One connect task per connection slot; a finished task holds the connection.
    private let connections: Mutex<[Task<NodeConnection, Error>?]>
    private let next = Atomic<Int>(0)

    init(address: NodeAddress, group: EventLoopGroup, configuration: RedisClusterConfiguration, readOnly: Bool) {
        self.address = address
        self.group = group
        self.configuration = configuration
        self.readOnly = readOnly
        self.connectionCount = max(1, configuration.connectionsPerNode)
        self.connections = Mutex(Array(repeating: nil, count: connectionCount))
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
            let attempt = connections.withLock { connections in
                if let task = connections[index] { return task }
                let task = Task { try await NodeConnection.connect(to: address, on: group, configuration: configuration, readOnly: readOnly) }
                connections[index] = task
                return task
            }
            do {
                let connection = try await attempt.value
                if connection.isActive { return connection }
                forget(attempt, at: index)  // closed since: connect again
            } catch {
                forget(attempt, at: index)  // so that the next caller tries again
                throw error
            }
        }
    }

    private func forget(_ attempt: Task<NodeConnection, Error>, at index: Int) {
        connections.withLock { if $0[index] == attempt { $0[index] = nil } }
    }

    /// Closes every connection.
    func close() async {
        let tasks = connections.withLock { connections in
            defer { connections = Array(repeating: nil, count: connectionCount) }
            return connections.compactMap { $0 }
        }
        for task in tasks { try? await task.value.close() }
    }
}
