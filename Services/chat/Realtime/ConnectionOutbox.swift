import NIOCore
import NIOWebSocket
import Synchronization

/// The frames waiting to go out on one WebSocket, bounded; a slow client never slows anyone else.
///
/// Frames are offered from any thread without waiting. They are written on the connection's event loop in bursts:
/// everything queued is encoded into one buffer (up to ``burstBytes``) and written while the channel can take more,
/// then flushed once: one `write` per connection per burst, not one per frame, and nothing between the outbox and the
/// socket (the session's pipeline has no WebSocket encoder). When the client reads too slowly the channel stops
/// being writable and frames wait here; when ``capacity`` of them wait, `typing` and `presence` frames are dropped
/// and any other frame marks the connection as overflowed: what is queued still goes out, then the socket closes
/// with ``overflowCloseCode`` and the client reconnects and catches up with `sync`, which it would need anyway after
/// missing a message.
final class ConnectionOutbox: Sendable {
    /// Close code (application range) telling the client it fell behind and must reconnect and sync.
    static let overflowCloseCode: UInt16 = 4008
    let capacity: Int
    private let channel: any Channel
    private let state = Mutex(State())

    private struct State {
        var frames = CircularBuffer<WebSocketFrame>(initialCapacity: 4)
        var scheduled = false
        var overflowed = false
        /// Set once a close frame was queued: nothing more is accepted.
        var closing = false
        /// Writers of a catch-up waiting for room (see ``offerPaced(_:)``).
        var roomWaiters: [CheckedContinuation<Void, Never>] = []

    }

    /// Thrown to a paced writer when the connection closed.
    struct Closed: Error {}

    /// Queues `texts` in order, waiting before each while more than half the capacity is queued, so that a long
    /// catch-up (`sync`) goes at the client's pace instead of filling memory or overflowing. Throws ``Closed`` once the
    /// connection is closing.
    func offerPaced(_ texts: [ByteBuffer]) async throws {
        for text in texts {
            while true {
                let ready = state.withLock { state -> Bool? in
                    if state.closing || state.overflowed { return nil }
                    return state.frames.count < capacity / 2
                }
                guard let ready else { throw Closed() }
                if ready { break }
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { state -> Bool in
                        if state.closing || state.frames.count < capacity / 2 { return true }
                        state.roomWaiters.append(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            offer(text)
        }
    }

    init(channel: any Channel, capacity: Int = 1024) {
        self.channel = channel
        self.capacity = capacity
    }

    /// Queues a text frame; `droppable` frames are discarded when the queue is full.
    func offer(_ text: ByteBuffer, droppable: Bool = false) {
        if enqueue(WebSocketFrame(fin: true, opcode: .text, data: text), droppable: droppable) { scheduleDrain() }
    }

    /// Queues a text frame like ``offer(_:droppable:)`` but leaves its drain to `drains`, which schedules the drains of
    /// many outboxes together.
    func offer(_ text: ByteBuffer, droppable: Bool = false, drains: inout OutboxDrains) {
        if enqueue(WebSocketFrame(fin: true, opcode: .text, data: text), droppable: droppable) { drains.add(self) }
    }

    /// The event loop of the connection.
    var eventLoop: any EventLoop { channel.eventLoop }

    /// Queues a close frame with `code` and `reason` after what is queued; the channel closes once it is written.
    func close(code: UInt16, reason: String) {
        var data = channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.writeInteger(code)
        data.writeString(reason)
        let schedule = state.withLock { state -> Bool? in
            guard !state.closing else { return nil }
            state.closing = true
            state.frames.append(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
            return Self.claimDrain(&state)
        }
        if schedule != nil { ChatMetrics.closed(code: code) }
        if schedule == true { scheduleDrain() }
        wakeRoomWaiters()
    }

    /// Queues a control frame (ping or pong) ahead of nothing: it keeps its place among the text frames.
    func control(_ opcode: WebSocketOpcode, data: ByteBuffer = ByteBuffer()) {
        if enqueue(WebSocketFrame(fin: true, opcode: opcode, data: data), droppable: true) { scheduleDrain() }
    }

    /// The connection closed: what waits is dropped and paced writers stop.
    func connectionClosed() {
        state.withLock { state in
            state.closing = true
            state.frames.removeAll()
        }
        wakeRoomWaiters()
    }

    /// Writes what waits, now that the channel can take more (from `channelWritabilityChanged`, on the event loop).
    func channelBecameWritable() { drain() }

    /// Queues `frame`; true when the caller must schedule the drain.
    private func enqueue(_ frame: WebSocketFrame, droppable: Bool) -> Bool {
        let outcome = state.withLock { state -> (schedule: Bool, overflowed: Bool) in
            guard !state.closing, !state.overflowed else { return (false, false) }
            guard state.frames.count < capacity else {
                ChatMetrics.droppedFrames.increment()
                if droppable { return (false, false) }
                state.overflowed = true
                return (false, true)
            }
            state.frames.append(frame)
            return (Self.claimDrain(&state), false)
        }
        if outcome.overflowed { close(code: Self.overflowCloseCode, reason: "too slow: reconnect and sync") }
        return outcome.schedule
    }

    /// Resumes paced writers when there is room again (or the connection is closing).
    private func wakeRoomWaiters() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.roomWaiters.isEmpty, state.closing || state.frames.count < capacity / 2 else { return [] }
            defer { state.roomWaiters.removeAll() }
            return state.roomWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Marks a drain as scheduled; true when the caller must schedule it.
    private static func claimDrain(_ state: inout State) -> Bool {
        guard !state.scheduled else { return false }
        state.scheduled = true
        return true
    }

    private func scheduleDrain() {
        if channel.eventLoop.inEventLoop {
            drain()
        } else {
            channel.eventLoop.execute { self.drain() }
        }
    }

    /// The most bytes encoded into one write: the channel's writability is checked between writes.
    static let burstBytes = 64 * 1024

    /// On the event loop: writes queued frames while the channel is writable, flushes once, and closes the channel
    /// after a close frame. Frames left while the channel is not writable wait for ``channelBecameWritable()``.
    func drain() {
        var wrote = false
        while true {
            let frames = state.withLock { state -> [WebSocketFrame] in
                var frames: [WebSocketFrame] = []
                var bytes = 0
                while channel.isWritable, bytes < Self.burstBytes, let frame = state.frames.popFirst() {
                    frames.append(frame)
                    bytes += frame.data.readableBytes
                }
                state.scheduled = !state.frames.isEmpty
                return frames
            }
            guard !frames.isEmpty else { break }
            var buffer = channel.allocator.buffer(capacity: frames.reduce(0) { $0 + Self.headerBytes + $1.data.readableBytes })
            var closed = false
            for frame in frames where !closed {
                Self.append(frame, to: &buffer)
                closed = frame.opcode == .connectionClose
            }
            if closed {
                // Nothing follows a close frame; the channel closes once it is written.
                state.withLock { $0.frames.removeAll() }
                channel.writeAndFlush(buffer).whenComplete { [channel] _ in channel.close(promise: nil) }
                wakeRoomWaiters()
                return
            }
            channel.write(buffer, promise: nil)
            wrote = true
        }
        if wrote { channel.flush() }
        wakeRoomWaiters()
    }

    /// The most bytes of a server frame's header: no mask, a 64-bit length.
    private static let headerBytes = 10

    /// Appends `frame` as a server sends it: final, unmasked.
    static func append(_ frame: WebSocketFrame, to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0x80) | UInt8(webSocketOpcode: frame.opcode))
        let length = frame.data.readableBytes
        switch length {
        case ..<126: buffer.writeInteger(UInt8(length))
        case ...Int(UInt16.max):
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(length))
        default:
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(length))
        }
        buffer.writeImmutableBuffer(frame.data)
    }
}
