import Foundation
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import ServiceKit

/// The chat server's HTTP listener with WebSocket upgrades on `/v1/ws` for callers the gateway vouches for
/// (`X-Chat-Identity`); every other request goes to the router.
enum ChatWebSocket {
    static let path = "/v1/ws"
    /// Frames over 64 KiB close the socket with 1009, as the contract says.
    static let maxFrameSize = 1 << 16

    static func serverBuilder(
        signer: IdentitySigner, messaging: Messaging, registry: ConnectionRegistry, presence: PresenceTracker, logger: Logger
    ) -> HTTPServerBuilder {
        .http1WebSocketUpgrade(
            configuration: .init(ws: .init(maxFrameSize: maxFrameSize, autoPing: .enabled(timePeriod: .seconds(30))))
        ) { request, _, _ in
            guard request.path?.split(separator: "?").first == Substring(path),
                  let header = request.headerFields[IdentitySigner.headerName], let identity = signer.verify(header)
            else { return .dontUpgrade }
            let connectionId = UUID().uuidString.lowercased()
            return .upgrade([:]) { inbound, outbound, _ in
                var sessionLogger = logger
                sessionLogger[metadataKey: "connection"] = .string(connectionId)
                let session = ClientSession(
                    identity: identity, connectionId: connectionId, messaging: messaging, registry: registry,
                    presence: presence, logger: sessionLogger)
                try await session.run(inbound: inbound, outbound: outbound)
            }
        }
    }
}
