import NIOCore
import NIOWebSocket

/// The last handler of a session's pipeline: whole frames (the aggregator joined fragments) to the session, the
/// WebSocket control protocol answered here, and the channel's state to the outbox.
final class SessionHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = WebSocketFrame
    let session: ClientSession

    init(session: ClientSession) { self.session = session }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            session.received(frame.unmaskedData)
        case .binary:
            session.heard()
            session.outbox.offer(ByteBuffer(string: #"{"code":"invalid_request","message":"frames are JSON text","ref":null,"type":"error"}"#))
        case .ping:
            session.heard()
            session.outbox.control(.pong, data: frame.unmaskedData)
        case .pong:
            session.heard()
        case .connectionClose:
            // Answer the client's close, then the channel closes.
            session.close(code: 1000, reason: "")
        default:
            session.close(code: 1002, reason: "unexpected frame")
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { session.outbox.channelBecameWritable() }
        context.fireChannelWritabilityChanged()
    }

    /// At graceful shutdown the server asks its connections to quiesce: the socket closes with 1001 "going away", so that
    /// the client reconnects to another instance at once.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent { session.close(code: 1001, reason: "server shutting down") }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.outbox.connectionClosed()
        context.fireChannelInactive()
    }

    /// A frame over the limit, or a message whose fragments together exceed it, closes with 1009; any other error of
    /// the decoder (a fragmented or long control frame) with 1002.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case NIOWebSocketFrameAggregator.Error.accumulatedFrameSizeIsTooLarge, NIOWebSocketError.invalidFrameLength:
            session.close(code: 1009, reason: "frame too large")
        default:
            session.close(code: 1002, reason: "protocol error")
        }
    }
}
