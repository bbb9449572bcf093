import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// An HTTP/1.1 listener whose WebSocket upgrade requests are decided by a ``WebSocketUpgradeHandling`` and whose
/// other requests go to the Hummingbird responder (the router).
///
/// Unlike Hummingbird's own WebSocket channel, a refused upgrade is answered with the refusal the handling chose
/// (the contract's JSON error and status), not with an empty 400. An upgrade request that arrives on a connection
/// already used for plain HTTP is redirected to the same URL with `Connection: close`, so that the client retries it
/// as the first request of a new connection, where the upgrade can happen.
public struct UpgradableHTTPChannel<Handling: WebSocketUpgradeHandling>: ServerChildChannel, HTTPChannelHandler {
    /// What a connection turned out to be.
    public enum Negotiated: Sendable {
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, HTTPRefusal)
        case upgraded(Handling.Connection)
    }

    /// A connection being negotiated.
    public struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        public let channel: any Channel
    }

    public let responder: HTTPChannelHandler.Responder
    let handling: Handling

    public init(responder: @escaping HTTPChannelHandler.Responder, handling: Handling) {
        self.responder = Self.redirectingLateUpgrades(responder)
        self.handling = handling
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.syncOptions?.setOption(ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator.growingFromSmall)
            let upgrader = AdmittingUpgrader(handling: handling, logger: logger)
            let configuration = NIOTypedHTTPServerUpgradeConfiguration<Negotiated>(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
                        let http = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        if let refusal = upgrader.refusal.withLockedValue({ $0 }) { return .refused(http, refusal) }
                        return .http(http)
                    }
                })
            var pipeline = NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: configuration)
            pipeline.enablePipelining = false  // requests are read one at a time by NIOAsyncChannel
            pipeline.enableErrorHandling = false  // errors are answered by the responder
            pipeline.enableResponseHeaderValidation = false  // HTTPTypes validates them
            let negotiated = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: pipeline)
            return Value(negotiated: negotiated, channel: channel)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .refused(let http, let refusal):
                try await http.executeThenClose { _, outbound in
                    var headers = refusal.headers
                    headers[.connection] = "close"
                    headers[.contentLength] = String(refusal.body.readableBytes)
                    try await outbound.write(contentsOf: [
                        .head(HTTPResponse(status: refusal.status, headerFields: headers)), .body(refusal.body), .end(nil),
                    ])
                }
            case .upgraded(let connection):
                await handling.start(connection, channel: value.channel, logger: logger)
            }
        } catch {
            logger.debug("connection ended during negotiation", metadata: ["error": "\(error)"])
        }
    }

    /// The responder, except that an upgrade request (which reaches it only on a connection already used for plain
    /// HTTP) is answered with a redirect to itself and `Connection: close`.
    private static func redirectingLateUpgrades(_ responder: @escaping HTTPChannelHandler.Responder) -> HTTPChannelHandler.Responder {
        { request, writer, channel in
            guard request.headers[.upgrade]?.lowercased() == "websocket" else {
                return try await responder(request, writer, channel)
            }
            var location = request.uri.path
            if let query = request.uri.query { location += "?\(query)" }
            try await writer.writeResponse(
                HTTPResponse(
                    status: .temporaryRedirect, headerFields: [.connection: "close", .location: location, .contentLength: "0"]))
            throw LateUpgrade()
        }
    }

    /// Ends a connection after the redirect of a late upgrade request.
    private struct LateUpgrade: Error {}
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with WebSocket upgrades decided by `handling`.
    public static func http1(upgradingWebSocketsWith handling: some WebSocketUpgradeHandling) -> HTTPServerBuilder {
        .init { responder in UpgradableHTTPChannel(responder: responder, handling: handling) }
    }
}

extension AdaptiveRecvByteBufferAllocator {
    /// How the connections of a listener that upgrades WebSockets read (the gateway's upstream side too): buffers start
    /// at 512 bytes and double while a read fills one, up to 64 KiB. A connection keeps the largest buffer it needed,
    /// and most WebSockets are idle with small frames (NIO's default starts at 2 KiB); a larger REST request grows it.
    public static var growingFromSmall: Self { Self(minimum: 64, initial: 512, maximum: 65_536) }
}
