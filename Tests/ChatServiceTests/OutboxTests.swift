@testable import ChatService
import Testing

/// A connection's bounded outbox: what is kept, dropped, and when the connection must close.
struct OutboxTests {
    @Test func framesWaitInOrderUntilDrained() {
        let outbox = Outbox(capacity: 3)
        outbox.offer("a")
        outbox.offer("b")
        #expect(outbox.drain().frames == ["a", "b"])
        outbox.offer("c")
        let drained = outbox.drain()
        #expect(drained.frames == ["c"] && !drained.overflowed)
    }

    @Test func whenFullTypingAndPresenceAreDroppedAndAMessageOverflows() {
        let outbox = Outbox(capacity: 2)
        outbox.offer("m1")
        outbox.offer("m2")
        outbox.offer("typing", droppable: true)
        var drained = outbox.drain()
        #expect(drained.frames == ["m1", "m2"] && !drained.overflowed)
        outbox.offer("m3")
        outbox.offer("m4")
        outbox.offer("m5")
        drained = outbox.drain()
        // The frames that fitted still go out before the connection closes with 4008.
        #expect(drained.frames == ["m3", "m4"] && drained.overflowed)
        outbox.offer("m6")
        #expect(outbox.drain().frames.isEmpty)
        #expect(Outbox.overflowCloseCode == 4008)
    }

    @Test func aClosedOutboxTakesNothing() {
        let outbox = Outbox(capacity: 2)
        outbox.close()
        outbox.offer("m1")
        #expect(outbox.drain().frames.isEmpty)
    }
}
