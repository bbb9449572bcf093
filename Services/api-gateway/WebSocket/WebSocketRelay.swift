import Foundation
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import ServiceKit
import WebSocketUpgrade

/// `GET /v1/ws` through the gateway: the upgrade is authorised here (access token, rate limits) and handed to a chat
/// instance with the signed identity; once chat switched protocols, the two TCP connections are spliced and the
/// gateway relays bytes, not frames, until either side closes.
///
/// Nothing of the WebSocket protocol runs in the gateway after the upgrade: chat's frames, pings, close codes
/// (1000, 1009, 4001, 4008 …) and frame-size limit reach the client as chat sent them, and the gateway holds no
/// per-socket state beyond the two connections and where chat's frames end; the one frame of its own is the close
/// (1001) it puts between two of chat's frames at its own graceful shutdown (``RelayShutdownHandler``). A refused
/// upgrade is an ordinary response: the contract's 401, 429 (with `Retry-After`), 404, or chat's own refusal passed
/// on; a chat instance that answers 503 (starting, or Redis away) is passed over for the next one, and its 503 passed
/// on only when none admits; 503 when no chat instance answers.
struct WebSocketRelay: WebSocketUpgradeHandling {
    static let path = "/v1/ws"
    let chat: UpstreamPool
    let admission: GatewayAdmission
    let signer: IdentitySigner
    let handshakeTimeout: TimeAmount

    /// The two ends of one relayed WebSocket.
    struct Connection: Sendable {
        let upstream: ChatHandshake.Switched
    }

    func admit(_ request: HTTPRequestHead, channel: any Channel, logger: Logger) async -> WebSocketAdmission<Connection> {
        let requestId = RequestIdMiddleware.acceptedId(request.headers.first(name: "X-Request-Id")) ?? UUID().uuidString.lowercased()
        var logger = logger
        logger[metadataKey: "request_id"] = .string(requestId)
        let target = URI(request.uri)
        guard request.method == .GET, target.path == Self.path else {
            return .refuse(HTTPRefusal(APIError.notFound("no such endpoint"), requestId: requestId))
        }
        let address = ClientAddress.of(
            forwardedFor: request.headers["X-Forwarded-For"], peer: channel.remoteAddress,
            trustedHops: admission.settings.trustedProxyHops)
        let identity: VerifiedIdentity
        do {
            try await admission.limit(address: address)
            identity = try await admission.authenticate(
                try BearerToken.of(
                    authorization: request.headers.first(name: "Authorization"),
                    accessTokenParameter: target.queryParameters.get("access_token")))
        } catch let error as APIError {
            logger.info("WebSocket upgrade refused", metadata: ["status": "\(error.status.code)", "reason": "\(error.message)"])
            return .refuse(HTTPRefusal(error, requestId: requestId))
        } catch {
            logger.warning("WebSocket upgrade failed", metadata: ["error": "\(error)"])
            return .refuse(HTTPRefusal(APIError.unavailable("the WebSocket could not be admitted; retry"), requestId: requestId))
        }
        let upstreamHead = Self.upstreamRequest(
            request, identity: signer.sign(identity, method: .get, path: Self.path), address: address, requestId: requestId)
        var unavailable: HTTPRefusal?
        for instance in chat.candidates() {
            guard let endpoint = UpstreamPool.Endpoint(instance) else { continue }
            do {
                switch try await ChatHandshake.perform(
                    upstreamHead, host: endpoint.host, port: endpoint.port, on: channel.eventLoop, timeout: handshakeTimeout
                ) {
                case .switched(let switched):
                    chat.markUp(instance)
                    return .accept(headers: switched.headers, connection: Connection(upstream: switched))
                case .answered(var refusal):
                    chat.markUp(instance)
                    refusal.headers[.requestId] = requestId
                    if refusal.status == .tooManyRequests { GatewayMetrics.refused(.websocket) }
                    guard refusal.status == .serviceUnavailable else { return .refuse(refusal) }
                    logger.info("chat instance refused a WebSocket for now", metadata: ["instance": "\(instance)"])
                    unavailable = refusal
                }
            } catch {
                chat.markDown(instance)
                GatewayMetrics.failed("chat", error is ChatHandshake.HandshakeTimeout ? .timeout : .connect)
                logger.warning("chat WebSocket handshake failed", metadata: ["instance": "\(instance)", "error": "\(error)"])
            }
        }
        return .refuse(unavailable ?? HTTPRefusal(APIError.unavailable("no chat instance is reachable"), requestId: requestId))
    }

    func configure(_ connection: Connection, channel: any Channel) throws {
        let (client, upstream) = GlueHandler.matchedPair()
        try channel.pipeline.syncOperations.addHandlers([RelayShutdownHandler(), client])
        try connection.upstream.splice(with: upstream)
        channel.flush()
        if !connection.upstream.channel.isActive { channel.close(promise: nil) }
    }

    /// The glue closes either connection when the other closes; this also covers a client that left before the glue
    /// was in place.
    func start(_ connection: Connection, channel: any Channel, logger: Logger) async {
        let upstream = connection.upstream.channel
        channel.closeFuture.whenComplete { _ in upstream.close(promise: nil) }
    }

    /// The request chat gets: the client's, with the signed identity instead of any token, and without the
    /// headers that describe the client's hop.
    static func upstreamRequest(_ request: HTTPRequestHead, identity: String, address: String, requestId: String) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        for (name, value) in request.headers where !droppedHeaders.contains(name.lowercased()) {
            headers.add(name: name, value: value)
        }
        headers.add(name: "Connection", value: "Upgrade")
        headers.add(name: IdentitySigner.headerName.rawName, value: identity)
        headers.add(name: "X-Forwarded-For", value: address)
        headers.add(name: "X-Request-Id", value: requestId)
        Telemetry.injectCurrent(into: &headers)
        return HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
    }

    /// Hop headers, what the gateway sets itself, and the client's credentials (chat gets the identity instead).
    private static let droppedHeaders: Set<String> = [
        "connection", "keep-alive", "proxy-authorization", "te", "trailer", "transfer-encoding", "authorization",
        "cookie", IdentitySigner.headerName.canonicalName, "x-forwarded-for", "x-request-id",
    ]
}
