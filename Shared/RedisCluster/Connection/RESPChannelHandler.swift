import NIOCore

/// Replies a connection still owes, in the order the commands were written.
struct PendingReplies: Sendable {
    /// Who waits, and for which of its groups these replies are.
    let gathering: ReplyGathering
    let group: Int
    let expected: Int
    let deadline: NIODeadline
    var received: [RESPValue] = []
}

/// What a ``NodeConnection`` writes at once: the encoded commands of any number of requests, and who waits for
/// which replies (nobody for a subscription's commands).
struct RESPBatch: Sendable {
    var bytes: ByteBuffer
    var waiting: [PendingReplies]
}

/// Pipelines RESP commands over one channel: requests are written as they come, replies are matched to them in
/// order. A reply that does not arrive before its deadline fails every pending request and closes the channel,
/// because the stream can no longer be trusted to line up.
///
/// In subscriber mode (`onPush` set) every reply is a push message and goes to `onPush`.
final class RESPChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RESPBatch
    typealias OutboundOut = ByteBuffer

    private let reader: RESPReplyReader
    private var pending = CircularBuffer<PendingReplies>(initialCapacity: 16)
    private let address: NodeAddress
    private let timeoutCheckInterval: TimeAmount
    private let onPush: (@Sendable (RESPValue) -> Void)?
    private var timeoutCheck: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(address: NodeAddress, timeoutCheckInterval: TimeAmount, onPush: (@Sendable (RESPValue) -> Void)?) throws {
        reader = try RESPReplyReader()
        self.address = address
        self.timeoutCheckInterval = timeoutCheckInterval
        self.onPush = onPush
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        timeoutCheck?.cancel()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let batch = unwrapOutboundIn(data)
        for var waiting in batch.waiting {
            waiting.received.reserveCapacity(waiting.expected)
            pending.append(waiting)
        }
        if !batch.waiting.isEmpty { scheduleTimeoutCheck(context: context) }
        context.write(wrapOutboundOut(batch.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { try reader.feed($0) }
            while let reply = try reader.next() { deliver(reply) }
        } catch {
            failAll(error)
            context.close(promise: nil)
        }
    }

    private func deliver(_ reply: RESPValue) {
        if let onPush {
            onPush(reply)
            return
        }
        guard !pending.isEmpty else { return }
        pending[pending.startIndex].received.append(reply)
        if pending[pending.startIndex].received.count == pending[pending.startIndex].expected {
            let done = pending.removeFirst()
            done.gathering.complete(done.group, with: .success(done.received))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError(kind: .connection, message: "\(address): connection closed"))
        onPush?(.null)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        failAll(RedisError(kind: .connection, message: "\(address): \(error)"))
        context.close(promise: nil)
    }

    private func failAll(_ error: Error) {
        while let request = pending.popFirst() { request.gathering.complete(request.group, with: .failure(error)) }
    }

    private func scheduleTimeoutCheck(context: ChannelHandlerContext) {
        guard timeoutCheck == nil else { return }
        timeoutCheck = context.eventLoop.assumeIsolated().scheduleTask(in: timeoutCheckInterval) { [self] in
            timeoutCheck = nil
            guard let oldest = pending.first, let context = self.context else { return }
            if oldest.deadline < .now() {
                failAll(RedisError(kind: .timeout, message: "\(address) did not answer in time"))
                context.close(promise: nil)
            } else {
                scheduleTimeoutCheck(context: context)
            }
        }
    }
}
