import Foundation
import Logging
import ServiceKit
import ServiceLifecycle

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

    /// Records that a socket closed; when it was the user's last, announces them offline unless they are back
    /// within ``offlineGrace``.
    func disconnected(userId: String, connectionId: String) async {
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

    /// Renews every local connection each heartbeat until shutdown.
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
