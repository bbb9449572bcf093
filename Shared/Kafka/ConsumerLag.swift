import CRdKafka
import Foundation
import Metrics

/// `kafka_consumer_lag_records{group, topic, partition}`: records between the consumer's position and each
/// partition's end, measured on the polling thread at most once a second from the high watermark librdkafka keeps
/// from its fetches (no request to the brokers).
final class ConsumerLag {
    private struct Partition: Hashable {
        let topic: String
        let partition: Int32
    }

    private let group: String
    /// The offset of the last record polled from each partition; touched by the polling thread only.
    private var positions: [Partition: Int64] = [:]
    private var gauges: [Partition: Gauge] = [:]
    private var due = Date()

    init(group: String) { self.group = group }

    /// A record at `offset` of `topic`/`partition` was polled.
    func polled(topic: String, partition: Int32, offset: Int64) {
        positions[Partition(topic: topic, partition: partition)] = offset
    }

    /// Exports each partition's lag, when a second passed since the last time.
    func export(_ handle: OpaquePointer) {
        let now = Date()
        guard now >= due else { return }
        due = now.addingTimeInterval(1)
        for (key, offset) in positions {
            var low: Int64 = 0
            var high: Int64 = 0
            guard rd_kafka_get_watermark_offsets(handle, key.topic, key.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR,
                high >= 0
            else { continue }
            let gauge =
                gauges[key]
                ?? Gauge(
                    label: "kafka_consumer_lag_records",
                    dimensions: [("group", group), ("topic", key.topic), ("partition", String(key.partition))])
            gauges[key] = gauge
            gauge.record(max(0, high - offset - 1))
        }
    }
}
