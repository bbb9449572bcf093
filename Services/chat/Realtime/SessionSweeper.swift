import Foundation
import NIOCore
import ServiceLifecycle

/// Ends the sessions that must end, every second until shutdown: at its access token's expiry a socket closes with
/// 4001 "token expired" (unless an `auth` frame renewed it), and a client not heard from (no frame, no pong) for
/// ``silenceLimit`` is closed. Every ``pingInterval`` each socket gets a ping, which any client answers, so a live
/// but quiet client is heard from and a dead connection is found even when TCP cannot tell.
struct SessionSweeper: Service {
    static let pingInterval: Duration = .seconds(ClientSession.heartbeatSeconds)
    static let silenceLimit: Duration = .seconds(ClientSession.heartbeatSeconds * 5 / 2)
    let registry: ConnectionRegistry

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                var lastPing = ContinuousClock.now
                while true {
                    try await Task.sleep(for: .seconds(1))
                    let ping = ContinuousClock.now - lastPing >= Self.pingInterval
                    if ping { lastPing = .now }
                    sweep(ping: ping)
                }
            }
        } catch is CancellationError {
            // Graceful shutdown.
        }
    }

    /// One pass over the sessions at `now`.
    func sweep(ping: Bool, now: Date = Date(), clock: ContinuousClock.Instant = .now) {
        let seconds = Int64(now.timeIntervalSince1970)
        for session in registry.all() {
            if session.identity.expiresAt <= seconds {
                session.close(code: 4001, reason: "token expired")
            } else if clock - session.lastHeard > Self.silenceLimit {
                session.close(code: 1001, reason: "no frame or pong for \(Self.silenceLimit.components.seconds) seconds")
            } else if ping {
                session.outbox.control(.ping)
            }
        }
    }
}
