import Foundation
import Synchronization

/// Puts messages on this instance's WebSockets, in each conversation's seq order, whichever way they came: from this
/// instance's writer as soon as Kafka acknowledged them (no round trip through the topic), or from the fan-out
/// consumer when another instance wrote them.
///
/// The records this instance publishes carry its ``origin`` (``FanoutDelivery/originHeader``), so the consumer
/// delivers none of them: each message reaches a socket through one path only. Both paths pass one
/// ``SequenceReorderer``. A message the writer delivers may follow predecessors another instance published that are
/// still on their way through Kafka, so a gap makes it wait for them; when the consumer reads the message's own record,
/// every predecessor up to its watermark is behind it, and the gaps up to there are given up
/// (``ownRecordConsumed(_:conversationId:)``).
final class LocalFanout: Sendable {
    /// This instance's id, stamped on the records it publishes.
    let origin = UUID().uuidString.lowercased()
    let registry: ConnectionRegistry
    private let reorderer = Mutex(SequenceReorderer<FanoutDelivery>())

    init(registry: ConnectionRegistry) {
        self.registry = registry
    }

    /// The ``FanoutDelivery/originHeader`` value of this instance's records.
    var originHeader: (name: String, value: [UInt8]) { (FanoutDelivery.originHeader, Array(origin.utf8)) }

    /// Whether a record's ``FanoutDelivery/originHeader`` value names this instance.
    func isOwn(originHeaderValue value: [UInt8]) -> Bool { value.elementsEqual(origin.utf8) }

    /// Passes a message another instance published (with its record's watermark) through the reorderer to its local
    /// audience. The order is kept for every conversation, also without local members, so that a member who connects
    /// finds it current.
    func deliver(_ delivery: FanoutDelivery, conversationId: String) {
        reorderer.withLock {
            send($0.accept(delivery, conversation: conversationId, seq: delivery.seq, watermark: delivery.watermark, now: .now))
        }
    }

    /// Passes this instance's writer batch (in seq order) through the reorderer as its own messages; the drains of
    /// their sockets are left to `drains`, which also holds the batch's acks.
    func deliver(_ batch: [(delivery: FanoutDelivery, conversationId: String)], drains: inout OutboxDrains) {
        reorderer.withLock { reorderer in
            var ready: [FanoutDelivery] = []
            for (delivery, conversationId) in batch {
                ready += reorderer.acceptOwn(delivery, conversation: conversationId, seq: delivery.seq, now: .now)
            }
            send(ready, drains: &drains)
        }
    }

    /// The consumer read this instance's own record at `position` of `conversationId`: delivers what waited for the
    /// predecessors up to its watermark.
    func ownRecordConsumed(_ position: FanoutDelivery.Position, conversationId: String) {
        guard let watermark = position.watermark else { return }
        reorderer.withLock {
            send($0.ownRecordConsumed(conversation: conversationId, seq: position.seq, watermark: watermark, now: .now))
        }
    }

    /// Delivers the held messages whose wait is over.
    func releaseHeld() {
        reorderer.withLock { send($0.release(now: .now)) }
    }

    /// Queues `deliveries` for their local recipients. Called with the reorderer locked, so that what the writer, the
    /// consumer and the release timer let through reaches the outboxes in the order the reorderer let it through.
    private func send(_ deliveries: [FanoutDelivery]) {
        var drains = OutboxDrains()
        send(deliveries, drains: &drains)
        drains.schedule()
    }

    private func send(_ deliveries: [FanoutDelivery], drains: inout OutboxDrains) {
        for delivery in deliveries {
            registry.deliver(delivery.frame, to: delivery.audience, drains: &drains)
            FanoutObservation.delivered(delivery)
        }
    }
}
