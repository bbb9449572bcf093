import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOPosix
import WebSocketUpgrade

/// The gateway's side of a WebSocket upgrade with a chat instance: connects, sends the client's upgrade request
/// (with the signed identity instead of the token) and reads chat's answer.
///
/// On `101` the connection is left as it is, HTTP handlers included, so that the bytes chat sent right after its
/// answer (the `hello` frame) stay in the decoder until ``ChatHandshake/Switched/splice(with:)`` forwards them behind
/// the gateway's own 101. Any other answer is read whole (at most ``maximumRefusalBytes``) for the client.
enum ChatHandshake {
    static let connectTimeout: TimeAmount = .seconds(2)
    static let maximumRefusalBytes = 64 * 1024

    /// Chat switched protocols on `channel`; `headers` are its WebSocket response headers for the client.
    struct Switched: Sendable {
        let channel: any Channel
        let headers: HTTPHeaders
        let handlers: Handlers

        /// The HTTP handlers still on `channel`.
        struct Handlers: @unchecked Sendable {
            let encoder: HTTPRequestEncoder
            let decoder: ByteToMessageHandler<HTTPResponseDecoder>
            let reader: ResponseReader
        }

        /// Replaces the HTTP handlers with `glue`; the bytes chat sent after its 101 go through it. Runs on the
        /// channel's event loop.
        ///
        /// The decoder leaves the pipeline a moment later (NIO removes a decoder on a later turn of the loop), and
        /// only then forwards what it held, often the `hello` that came in the same read as the 101; that read is over,
        /// so the partner is flushed here instead of at the end of a read.
        func splice(with glue: GlueHandler) throws {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(glue)
            pipeline.removeHandler(handlers.reader, promise: nil)
            pipeline.removeHandler(handlers.encoder, promise: nil)
            let decoderRemoved = channel.eventLoop.makePromise(of: Void.self)
            pipeline.removeHandler(handlers.decoder, promise: decoderRemoved)
            decoderRemoved.futureResult.assumeIsolated().whenComplete { _ in glue.flushPartner() }
        }
    }

    enum Outcome: Sendable {
        case switched(Switched)
        /// Chat answered without switching (its refusal, e.g. 401 or 429).
        case answered(HTTPRefusal)
    }

    /// Sends `head` to `host:port` from `eventLoop` (the client connection's, so that both ends of the splice share
    /// it) and waits at most `timeout` for the answer; throws when the connection cannot be made, breaks or times out.
    static func perform(
        _ head: HTTPRequestHead, host: String, port: Int, on eventLoop: any EventLoop, timeout: TimeAmount
    ) async throws -> Outcome {
        let answer = eventLoop.makePromise(of: Outcome.self)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator.growingFromSmall)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let encoder = HTTPRequestEncoder()
                    let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
                    let reader = ResponseReader(answer: answer, timeout: timeout, encoder: encoder, decoder: decoder)
                    try channel.pipeline.syncOperations.addHandlers([encoder, decoder, reader])
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            answer.fail(error)
            throw error
        }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        return try await answer.futureResult.get()
    }

    struct HandshakeTimeout: Error {}
    struct ConnectionClosed: Error {}

    /// Reads chat's answer: the 101 head, or a whole response, within the handshake's time limit.
    final class ResponseReader: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        private let answer: EventLoopPromise<Outcome>
        private let timeout: TimeAmount
        private let encoder: HTTPRequestEncoder
        private let decoder: ByteToMessageHandler<HTTPResponseDecoder>
        private var deadline: Scheduled<Void>?
        private var head: HTTPResponseHead?
        private var body = ByteBuffer()
        private var done = false

        init(
            answer: EventLoopPromise<Outcome>, timeout: TimeAmount, encoder: HTTPRequestEncoder,
            decoder: ByteToMessageHandler<HTTPResponseDecoder>
        ) {
            self.answer = answer
            self.timeout = timeout
            self.encoder = encoder
            self.decoder = decoder
        }

        func handlerAdded(context: ChannelHandlerContext) {
            deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
                finish(context, .failure(HandshakeTimeout()))
            }
        }

        /// Answers once; a failure closes the connection.
        private func finish(_ context: ChannelHandlerContext, _ outcome: Result<Outcome, any Error>) {
            guard !done else { return }
            done = true
            deadline?.cancel()
            answer.completeWith(outcome)
            if case .failure = outcome { context.close(promise: nil) }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !done else { return }
            switch unwrapInboundIn(data) {
            case .head(let head) where head.status == .switchingProtocols:
                var headers = HTTPHeaders()
                for name in ["sec-websocket-accept", "sec-websocket-protocol", "sec-websocket-extensions"] {
                    for value in head.headers[name] { headers.add(name: name, value: value) }
                }
                let handlers = Switched.Handlers(encoder: encoder, decoder: decoder, reader: self)
                finish(context, .success(.switched(Switched(channel: context.channel, headers: headers, handlers: handlers))))
            case .head(let head):
                self.head = head
            case .body(var chunk):
                guard body.readableBytes + chunk.readableBytes <= ChatHandshake.maximumRefusalBytes else { return }
                body.writeBuffer(&chunk)
            case .end:
                guard let head else { return }
                var fields = HTTPFields()
                for (name, value) in head.headers where !Self.hopByHop.contains(name.lowercased()) {
                    if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
                }
                finish(
                    context,
                    .success(
                        .answered(
                            HTTPRefusal(
                                status: HTTPResponse.Status(code: Int(head.status.code)), headers: fields, body: body))))
                context.close(promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            finish(context, .failure(ConnectionClosed()))
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            finish(context, .failure(error))
        }

        private static let hopByHop: Set<String> = [
            "connection", "keep-alive", "transfer-encoding", "upgrade", "content-length", "te", "trailer",
        ]
    }
}
