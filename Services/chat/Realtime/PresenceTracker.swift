import Foundation
import Logging
import Postgres
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
    let postgres: PostgresClient
    let messaging: Messaging
    let logger: Logger

    init(store: PresenceStore, registry: ConnectionRegistry, postgres: PostgresClient, messaging: Messaging, logger: Logger) {
        self.store = store
        self.registry = registry
        self.postgres = postgres
        self.messaging = messaging
        self.logger = logger
    }

    func connected(userId: String, connectionId: String) async {
        do {
            if try await store.connected(userId: userId, connectionId: connectionId) { await announce(userId, status: "online") }
        } catch {
            logger.warning("presence update failed", metadata: ["error": "\(error)"])
        }
    }

    func disconnected(userId: String, connectionId: String) async {
        do {
            guard try await store.disconnected(userId: userId, connectionId: connectionId) else { return }
            try await Task.sleep(for: Self.offlineGrace)
            if try await store.presence(of: userId).status == "offline" { await announce(userId, status: "offline") }
        } catch {
            logger.warning("presence update failed", metadata: ["error": "\(error)"])
        }
    }

    /// Renews every local connection each heartbeat until shutdown.
    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: Self.heartbeat)
                for (userId, connectionId) in self.registry.connections() {
                    _ = try? await self.store.connected(userId: userId, connectionId: connectionId)
                }
            }
        }
    }

    /// Sends `presence` to everyone who shares a conversation with `userId`.
    private func announce(_ userId: String, status: String) async {
        do {
            let rows = try await postgres.query("""
                SELECT DISTINCT other.user_id FROM members mine
                JOIN members other ON other.conversation_id = mine.conversation_id AND other.user_id <> mine.user_id
                WHERE mine.user_id = $1 LIMIT 10000
                """, [userId])
            let audience = Array(Set(rows.compactMap { $0["user_id"] } + (try await messaging.directory.watchers(of: userId))))
            guard !audience.isEmpty else { return }
            try await messaging.signal(ServerFrame.Presence(userId: userId, status: status), conversationId: userId, to: audience, droppable: true)
        } catch {
            logger.warning("presence announcement failed", metadata: ["error": "\(error)"])
        }
    }
}
