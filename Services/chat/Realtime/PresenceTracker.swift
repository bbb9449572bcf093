import Foundation
import Logging
import ServiceKit
import ServiceLifecycle
import Synchronization

/// Keeps this instance's users' presence in Redis (``PresenceStore``) and tells the people who share a
/// conversation with a user, and those who have the user as a contact, when the user comes online or goes offline.
///
/// Every connection is renewed each heartbeat; a crashed instance stops renewing, so its users lapse to offline
/// within ``PresenceStore/heartbeatTTL``. Going offline is announced after a grace period, so a quick reconnect
/// (a page reload, a network switch) does not flicker.
final class PresenceTracker: Service, Sendable {
    static let heartbeat: Duration = .seconds(15)
    static let offlineGrace: Duration = .seconds(5)
    let store: PresenceStore
    let registry: ConnectionRegistry
    let messaging: Messaging
    let logger: Logger
    /// Closed sockets whose close is not yet recorded in Redis, and who waits for there to be none.
    private let unrecordedCloses = Mutex<(count: Int, waiters: [CheckedContinuation<Void, Never>])>((0, []))

    init(store: PresenceStore, registry: ConnectionRegistry, messaging: Messaging, logger: Logger) {
        self.store = store
        self.registry = registry
        self.messaging = messaging
        self.logger = logger
    }

    /// Tells those who care that `userId` came online (their first socket opened, see ``PresenceStore/open``).
    func announceOnline(_ userId: String) {
        Task { await announce(userId, status: .online) }
    }

    /// Records in the background that a socket closed; when it was the user's last, announces them offline unless
    /// they are back within ``offlineGrace``. Shutdown waits until every close is recorded.
    func recordClose(userId: String, connectionId: String) {
        unrecordedCloses.withLock { $0.count += 1 }
        Task {
            await disconnected(userId: userId, connectionId: connectionId)
            let waiters = unrecordedCloses.withLock { closes -> [CheckedContinuation<Void, Never>] in
                closes.count -= 1
                guard closes.count == 0 else { return [] }
                defer { closes.waiters = [] }
                return closes.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    private func disconnected(userId: String, connectionId: String) async {
        do {
            guard try await store.disconnected(userId: userId, connectionId: connectionId) else { return }
        } catch {
            return logger.warning("presence update failed", metadata: ["error": "\(error)"])
        }
        Task {
            do {
                try await Task.sleep(for: Self.offlineGrace)
                if try await store.presence(of: userId).status == .offline { await announce(userId, status: .offline) }
            } catch {
                logger.warning("presence update failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Returns once no close waits to be recorded.
    private func closesRecorded() async {
        await withCheckedContinuation { continuation in
            let now = unrecordedCloses.withLock { closes -> Bool in
                if closes.count == 0 { return true }
                closes.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Renews every local connection each heartbeat until shutdown, then waits for the closes still being recorded
    /// (the listener, which stops first, closed every socket).
    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    try await Task.sleep(for: Self.heartbeat)
                    var failures = 0
                    for session in self.registry.all() {
                        do {
                            try await self.store.connected(userId: session.userId, connectionId: session.connectionId)
                        } catch {
                            failures += 1
                        }
                    }
                    if failures > 0 { self.logger.warning("presence heartbeats failed", metadata: ["connections": "\(failures)"]) }
                }
            }
        } catch is CancellationError {
            // Graceful shutdown.
        }
        await closesRecorded()
    }

    /// Sends `presence` to everyone who shares a conversation with `userId` and to those who have them as a contact.
    private func announce(_ userId: String, status: PresenceStatus) async {
        do {
            let members = try await messaging.conversations.coMembers(of: userId)
            let audience = Array(Set(members + (try await messaging.directory.watchers(of: userId))))
            guard !audience.isEmpty else { return }
            try await messaging.signal(ServerFrame.Presence(userId: userId, status: status), key: userId, to: audience, droppable: true)
        } catch {
            logger.warning("presence announcement failed", metadata: ["error": "\(error)"])
        }
    }
}
