import Synchronization

/// The WebSocket connections this instance holds, by user.
final class ConnectionRegistry: Sendable {
    private let byUser = Mutex<[String: [String: Outbox]]>([:])

    /// Adds a connection; returns how many the user now has here.
    @discardableResult
    func add(userId: String, connectionId: String, outbox: Outbox) -> Int {
        byUser.withLock { users in
            users[userId, default: [:]][connectionId] = outbox
            return users[userId]!.count
        }
    }

    /// Removes a connection; returns how many the user still has here.
    @discardableResult
    func remove(userId: String, connectionId: String) -> Int {
        byUser.withLock { users in
            users[userId]?[connectionId] = nil
            let left = users[userId]?.count ?? 0
            if left == 0 { users[userId] = nil }
            return left
        }
    }

    /// Sends `frame` to every local connection of `userIds`.
    func deliver(_ frame: String, to userIds: some Sequence<String>, droppable: Bool = false) {
        let outboxes = byUser.withLock { users in userIds.flatMap { users[$0].map { Array($0.values) } ?? [] } }
        for outbox in outboxes { outbox.offer(frame, droppable: droppable) }
    }

    /// Users with at least one connection here, and their connection ids (for presence heartbeats).
    func connections() -> [(userId: String, connectionId: String)] {
        byUser.withLock { users in users.flatMap { user in user.value.keys.map { (user.key, $0) } } }
    }

    /// Whether any of `userIds` is connected here.
    func hasAny(of userIds: some Sequence<String>) -> Bool {
        byUser.withLock { users in userIds.contains { users[$0] != nil } }
    }
}
