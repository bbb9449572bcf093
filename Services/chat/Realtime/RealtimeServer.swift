import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import ServiceKit
import WebSocketUpgrade

/// Chat's WebSocket upgrades on `/v1/ws`, for callers the gateway vouches for (`X-Chat-Identity` signed for this
/// request), at most ``socketsPerUser`` per user across instances.
///
/// An admitted connection gets NIO's frame decoder (frames over 64 KiB close it with 1009), an aggregator for
/// fragmented messages (same limit) and a ``SessionHandler``; frames go out through the session's
/// ``ConnectionOutbox``, which encodes them itself. Refusals are the contract's JSON errors: 404 off the path, 400 for
/// a bad handshake, 401 without a valid identity, 429 over the socket limit, 503 when Redis cannot count the sockets
/// or while the fan-out is not yet reading its partitions (just started: the gateway tries another instance).
struct RealtimeServer: WebSocketUpgradeHandling {
    static let path = "/v1/ws"
    static let maxFrameSize = 1 << 16
    let signer: IdentitySigner
    let context: SessionContext
    let registry: ConnectionRegistry
    let presence: PresenceTracker
    let denylist: TokenDenylist
    let fanout: FanoutPosition
    let socketsPerUser: Int

    /// An admitted socket: its session, and whether it brought its user online.
    struct Connection: Sendable {
        let session: ClientSession
        let wentOnline: Bool
    }

    func admit(_ request: HTTPRequestHead, channel: any Channel, logger: Logger) async -> WebSocketAdmission<Connection> {
        let requestId = RequestIdMiddleware.acceptedId(request.headers.first(name: "X-Request-Id")) ?? UUID().uuidString.lowercased()
        guard request.method == .GET, request.uri.split(separator: "?", maxSplits: 1).first == Substring(Self.path) else {
            return .refuse(HTTPRefusal(APIError.notFound("no such endpoint"), requestId: requestId))
        }
        guard let handshake = WebSocketHandshake.responseHeaders(for: request) else {
            return .refuse(
                HTTPRefusal(
                    APIError.invalidRequest("a WebSocket upgrade needs Sec-WebSocket-Version 13 and a Sec-WebSocket-Key"),
                    requestId: requestId))
        }
        guard let header = request.headers.first(name: IdentitySigner.headerName.rawName),
            let identity = signer.verify(header, method: .get, path: Self.path)
        else { return .refuse(HTTPRefusal(APIError.unauthorized(), requestId: requestId)) }
        guard fanout.isPositioned() else {
            return .refuse(
                HTTPRefusal(
                    APIError.unavailable("this chat instance is starting; retry", retryAfterSeconds: 1), requestId: requestId))
        }
        let session = ClientSession(
            identity: identity, connectionId: UUID().uuidString.lowercased(), channel: channel, context: context)
        do {
            switch try await presence.store.open(userId: identity.userId, connectionId: session.connectionId, limit: socketsPerUser) {
            case .full:
                return .refuse(
                    HTTPRefusal(
                        APIError(
                            .tooManyRequests, code: "rate_limited", message: "at most \(socketsPerUser) WebSockets per user",
                            headers: [.retryAfter: "5"]),
                        requestId: requestId))
            case .opened(let wentOnline):
                return .accept(headers: handshake, connection: Connection(session: session, wentOnline: wentOnline))
            }
        } catch {
            logger.warning("cannot count the user's sockets", metadata: ["error": "\(error)"])
            return .refuse(HTTPRefusal(APIError.unavailable("the WebSocket could not be admitted; retry"), requestId: requestId))
        }
    }

    func configure(_ connection: Connection, channel: any Channel) throws {
        try channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: Self.maxFrameSize)),
            NIOWebSocketFrameAggregator(
                minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1024, maxAccumulatedFrameSize: Self.maxFrameSize),
            SessionHandler(session: connection.session),
        ])
    }

    /// Registers the session and says `hello`; the session's handlers serve it from then on. When the socket closes the
    /// session leaves the registry and presence records the close (shutdown waits for that); at graceful shutdown the
    /// ``SessionHandler`` closes it with 1001.
    func start(_ connection: Connection, channel: any Channel, logger: Logger) async {
        let session = connection.session
        registry.add(session)
        session.greet()
        if connection.wentOnline { presence.announceOnline(session.userId) }
        // A logout processed while this socket was being admitted found no session to close: check once more.
        if (try? await denylist.isRevoked(session.identity)) == true { session.close(code: 4001, reason: "session revoked") }
        channel.closeFuture.whenComplete { [registry, presence] _ in
            registry.remove(session)
            presence.recordClose(userId: session.userId, connectionId: session.connectionId)
        }
    }
}
