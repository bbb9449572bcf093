import Foundation
import HTTPTypes
import HummingbirdCore
import HummingbirdWSClient
import HummingbirdWebSocket
import Logging
import NIOWebSocket
import ServiceKit

/// Relays `/v1/ws` to a chat instance: the gateway verifies the access token before upgrading, opens a WebSocket to
/// chat with the signed identity, and copies frames both ways.
///
/// Backpressure: each direction reads its next frame only after the previous one was written to the other side,
/// so nothing queues in the gateway beyond one frame per direction. Closing: when chat closes, the client gets
/// chat's close code and reason; when the client closes or drops, the chat connection is closed. Frames over
/// 64 KiB from the client close the socket with 1009, as the contract says.
struct WebSocketProxy: Sendable {
    static let path = "/v1/ws"
    static let maxClientFrameSize = 1 << 16
    let chat: UpstreamPool
    let verifier: AccessTokenVerifier
    let signer: IdentitySigner
    let limiter: RateLimiter
    let settings: GatewaySettings
    let logger: Logger

    /// The HTTP server with WebSocket upgrades on ``path``; every other request goes to the router.
    func serverBuilder() -> HTTPServerBuilder {
        .http1WebSocketUpgrade(
            configuration: .init(ws: .init(maxFrameSize: Self.maxClientFrameSize, autoPing: .enabled(timePeriod: .seconds(30))))
        ) { request, channel, logger in
            // Anything wrong → no upgrade: the router then answers the same request with the contract's error.
            guard request.path?.split(separator: "?").first == Substring(Self.path), let token = Self.token(of: request) else {
                return .dontUpgrade
            }
            let identity: VerifiedIdentity
            do {
                identity = try await verifier.verify(token)
                guard try await limiter.take("user:\(identity.userId)", capacity: settings.rateLimitPerUser, period: .seconds(60)).allowed else {
                    logger.info("WebSocket upgrade refused: rate limited", metadata: ["user": "\(identity.userId)"])
                    return .dontUpgrade
                }
            } catch {
                logger.info("WebSocket upgrade refused", metadata: ["reason": "\(error)"])
                return .dontUpgrade
            }
            var headers = HTTPFields()
            headers[IdentitySigner.headerName] = signer.sign(identity)
            if let requestId = request.headerFields[.requestId] { headers[.requestId] = requestId }
            if let address = channel.remoteAddress?.ipAddress { headers[HTTPField.Name("X-Forwarded-For")!] = address }
            return .upgrade([:]) { [headers] inbound, outbound, _ in
                try await relay(inbound: inbound, outbound: outbound, headers: headers)
            }
        }
    }

    private func relay(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, headers: HTTPFields) async throws {
        for instance in chat.candidates() {
            let url = instance.replacingOccurrences(of: "http://", with: "ws://").replacingOccurrences(of: "https://", with: "wss://") + Self.path
            let upstreamClosed: WebSocketCloseFrame?
            do {
                upstreamClosed = try await WebSocketClient.connect(
                    url: url,
                    configuration: .init(maxFrameSize: 1 << 20, additionalHeaders: headers, autoPing: .disabled),
                    logger: logger
                ) { upstreamInbound, upstreamOutbound, _ in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await Self.copy(from: inbound, to: upstreamOutbound) }
                        group.addTask { try await Self.copy(from: upstreamInbound, to: outbound) }
                        // Whichever side ends first ends the relay.
                        try await group.next()
                        group.cancelAll()
                    }
                }
            } catch {
                chat.markDown(instance)
                logger.warning("chat WebSocket failed", metadata: ["instance": "\(instance)", "error": "\(error)"])
                continue
            }
            chat.markUp(instance)
            if let upstreamClosed {
                try await outbound.close(upstreamClosed.closeCode, reason: upstreamClosed.reason)
            }
            return
        }
        try await outbound.close(.unexpectedServerError, reason: "chat is unavailable")
    }

    /// Copies data frames as they come, fragments included, waiting for each write.
    private static func copy(from inbound: WebSocketInboundStream, to outbound: WebSocketOutboundWriter) async throws {
        for try await frame in inbound {
            let opcode: WebSocketOpcode = switch frame.opcode {
            case .text: .text
            case .binary: .binary
            case .continuation: .continuation
            }
            try await outbound.write(.custom(WebSocketFrame(fin: frame.fin, opcode: opcode, data: frame.data)))
        }
    }

    /// The access token of an upgrade request: `Authorization: Bearer`, else `?access_token=`.
    static func token(of request: HTTPRequest) -> String? {
        if let header = request.headerFields[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            return parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]) : nil
        }
        guard let query = request.path?.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == "access_token" { return String(parts[1]).removingPercentEncoding }
        }
        return nil
    }
}
