import Foundation
import Kafka
import ServiceKit
import Tracing

/// What the fan-out reports of each message it delivers: `chat_delivery_lag_seconds` from the record's Kafka
/// timestamp (the message's creation when this instance's writer delivers it), and for a record of a sampled trace a
/// `chat.fanout.deliver` span (from the record's arrival, or from the making of the record when this instance's
/// writer delivers it, to its frame queued on the local recipients' sockets), child of the message's `chat.send`. Records of unsampled traces
/// cost no span.
enum FanoutObservation {
    /// Where a record came from.
    struct Origin: Sendable {
        /// The record's Kafka timestamp, milliseconds since 1970.
        let producedAtMilliseconds: Int64?
        /// The record's `traceparent`, when its trace is sampled and tracing is on.
        let traceparent: String?
        /// When the record arrived, for the span.
        let arrived: DefaultTracerClock.Instant?

        /// A record from Kafka.
        init?(_ record: KafkaRecord, traceparent: [UInt8]?) {
            self.init(producedAtMilliseconds: record.timestampMilliseconds, traceparent: traceparent)
        }

        /// A message this instance's writer stored at `producedAtMilliseconds` and delivers itself.
        init?(producedAtMilliseconds: Int64?, traceparent: [UInt8]?) {
            let sampled = traceparent.flatMap { Telemetry.isTracing ? TraceParent(bytes: $0) : nil }.flatMap { $0.isSampled ? $0 : nil }
            guard producedAtMilliseconds != nil || sampled != nil else { return nil }
            self.producedAtMilliseconds = producedAtMilliseconds
            self.traceparent = sampled?.description
            arrived = sampled == nil ? nil : DefaultTracerClock.now
        }
    }

    static func delivered(_ delivery: FanoutDelivery) {
        guard let origin = delivery.origin else { return }
        if let produced = origin.producedAtMilliseconds {
            ChatMetrics.deliveryLag.recordMilliseconds(max(0, Int64(Date().timeIntervalSince1970 * 1000) - produced))
        }
        if let traceparent = origin.traceparent, let arrived = origin.arrived {
            let span = startSpan(
                "chat.fanout.deliver", context: Telemetry.context(continuing: traceparent), ofKind: .consumer, at: arrived)
            span.attributes["chat.seq"] = Int(delivery.seq)
            span.attributes["chat.audience"] = delivery.audience.count
            span.end()
        }
    }
}
