import NIOCore
import Synchronization

/// The WebSocket sessions this instance holds, by user.
final class ConnectionRegistry: Sendable {
    private let byUser = Mutex<[String: [String: ClientSession]]>([:])
    /// How many sessions are held, for `chat_websockets_open`.
    private let open = Atomic<Int>(0)

    /// Adds a session.
    func add(_ session: ClientSession) {
        let added = byUser.withLock { $0[session.userId, default: [:]].updateValue(session, forKey: session.connectionId) == nil }
        if added { ChatMetrics.websocketsOpen.record(open.add(1, ordering: .relaxed).newValue) }
    }

    /// Removes a session.
    func remove(_ session: ClientSession) {
        let removed = byUser.withLock { users in
            defer { if users[session.userId]?.isEmpty == true { users[session.userId] = nil } }
            return users[session.userId]?.removeValue(forKey: session.connectionId) != nil
        }
        if removed { ChatMetrics.websocketsOpen.record(open.subtract(1, ordering: .relaxed).newValue) }
    }

    /// Queues `frame` for every local session of `userIds`; the one buffer is shared by all of them.
    func deliver(_ frame: ByteBuffer, to userIds: some Sequence<String>, droppable: Bool = false) {
        var drains = OutboxDrains()
        deliver(frame, to: userIds, droppable: droppable, drains: &drains)
        drains.schedule()
    }

    /// Queues `frame` like ``deliver(_:to:droppable:)`` but leaves the drains to `drains`.
    func deliver(_ frame: ByteBuffer, to userIds: some Sequence<String>, droppable: Bool = false, drains: inout OutboxDrains) {
        let sessions = byUser.withLock { users in userIds.flatMap { users[$0].map { Array($0.values) } ?? [] } }
        for session in sessions { session.outbox.offer(frame, droppable: droppable, drains: &drains) }
    }

    /// The local sessions of `userId`.
    func sessions(of userId: String) -> [ClientSession] {
        byUser.withLock { Array(($0[userId] ?? [:]).values) }
    }

    /// Every local session.
    func all() -> [ClientSession] {
        byUser.withLock { users in users.values.flatMap(\.values) }
    }

    /// How many sessions are held.
    var count: Int { byUser.withLock { users in users.values.reduce(0) { $0 + $1.count } } }
}
