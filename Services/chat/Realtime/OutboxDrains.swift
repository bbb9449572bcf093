import NIOCore

/// The outboxes a burst of offers left waiting for a drain, scheduled with one task per event loop instead of one
/// per connection: delivering a writer batch to a hundred sockets wakes each event loop once.
struct OutboxDrains {
    private var byLoop: [ObjectIdentifier: (loop: any EventLoop, outboxes: [ConnectionOutbox])] = [:]

    /// Adds an outbox whose drain its offer claimed.
    mutating func add(_ outbox: ConnectionOutbox) {
        let loop = outbox.eventLoop
        byLoop[ObjectIdentifier(loop), default: (loop, [])].outboxes.append(outbox)
    }

    /// Drains every added outbox on its event loop (at once for the loop the caller is on).
    func schedule() {
        for (loop, outboxes) in byLoop.values {
            if loop.inEventLoop {
                for outbox in outboxes { outbox.drain() }
            } else {
                loop.execute { for outbox in outboxes { outbox.drain() } }
            }
        }
    }
}
