import NIOCore

/// Closes a relayed WebSocket when the gateway shuts down gracefully, as chat closes its own: with a close frame
/// 1001 "server shutting down", so that the client reconnects at once (to another gateway task) and catches up with
/// `sync`, and the gateway's shutdown does not wait for its sockets to end on their own.
///
/// It sits on the client's channel below the ``GlueHandler``, so it sees every byte chat sends the client and follows
/// chat's frames (``FrameBoundaries``). When the server asks its connections to quiesce, the close frame goes out at
/// the next boundary between two of chat's frames (chat writes whole frames, so at once or within a read or two),
/// what chat sends after that is dropped, and the connection closes once the close frame is written; closing the
/// client's connection closes chat's (the glue), and chat records the socket as gone. A boundary that does not come
/// within ``boundaryWait`` closes the connection without a close frame.
final class RelayShutdownHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let boundaryWait: TimeAmount = .seconds(1)
    /// The close frame: FIN + close opcode, unmasked, code 1001 and its reason.
    static let closeFrame: [UInt8] = {
        let reason = Array("server shutting down".utf8)
        return [0x88, UInt8(2 + reason.count), 0x03, 0xE9] + reason
    }()

    private var boundaries = FrameBoundaries()
    private var closing = false
    private var closed = false

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, !closing {
            closing = true
            if boundaries.atBoundary {
                closeAtBoundary(context: context)
            } else {
                context.eventLoop.assumeIsolated().scheduleTask(in: Self.boundaryWait) { [self] in
                    if !closed { context.close(promise: nil) }
                }
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !closed else {
            promise?.succeed()
            return
        }
        var bytes = unwrapOutboundIn(data)
        let read = boundaries.read(bytes.readableBytesView, stoppingAtBoundary: closing)
        guard closing, boundaries.atBoundary else { return context.write(data, promise: promise) }
        // Chat's bytes up to the boundary, then the gateway's close frame.
        context.write(wrapOutboundOut(bytes.readSlice(length: read)!), promise: promise)
        closeAtBoundary(context: context)
    }

    private func closeAtBoundary(context: ChannelHandlerContext) {
        closed = true
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: Self.closeFrame))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
