import Synchronization

/// The bounded queue of frames waiting to go out on one WebSocket; a slow client never slows anyone else.
///
/// Live frames are offered without waiting. When the queue is full, `typing` and `presence` frames are dropped;
/// any other frame that does not fit marks the connection as overflowed: it is closed with ``overflowCloseCode``
/// and the client reconnects and catches up with `sync`, which is what it would need anyway after missing a message.
final class Outbox: Sendable {
    /// Close code (application range) telling the client it fell behind and must reconnect and sync.
    static let overflowCloseCode: UInt16 = 4008
    let capacity: Int
    private let state = Mutex<State>(State())
    private let signal: AsyncStream<Void>.Continuation
    let signals: AsyncStream<Void>

    private struct State {
        var frames: [String] = []
        var overflowed = false
        var closed = false
    }

    init(capacity: Int = 1024) {
        self.capacity = capacity
        (signals, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues `frame`; `droppable` frames are discarded when the queue is full.
    func offer(_ frame: String, droppable: Bool = false) {
        let accepted = state.withLock { state -> Bool in
            guard !state.closed, !state.overflowed else { return false }
            if state.frames.count < capacity {
                state.frames.append(frame)
                return true
            }
            if !droppable { state.overflowed = true }
            return !droppable
        }
        if accepted { signal.yield() }
    }

    /// Everything queued, and whether the connection overflowed.
    func drain() -> (frames: [String], overflowed: Bool) {
        state.withLock { state in
            defer { state.frames.removeAll(keepingCapacity: true) }
            return (state.frames, state.overflowed)
        }
    }

    func close() {
        state.withLock { $0.closed = true }
        signal.finish()
    }
}
