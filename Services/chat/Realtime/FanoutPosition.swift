import Kafka
import Synchronization

/// Whether the fan-out consumer reads every partition it was given, so that whatever is published from now on reaches
/// this instance's sockets. Once true it stays true: a later rebalance (a broker outage) resumes from the committed
/// positions, and refusing every socket meanwhile would help nobody.
final class FanoutPosition: Sendable {
    private let consumer: KafkaConsumer
    private let positioned = Atomic(false)

    init(consumer: KafkaConsumer) {
        self.consumer = consumer
    }

    func isPositioned() -> Bool {
        if positioned.load(ordering: .relaxed) { return true }
        guard consumer.isPositioned() else { return false }
        positioned.store(true, ordering: .relaxed)
        return true
    }
}
