import Kafka
import ServiceKit

extension KafkaRecord {
    /// The trace id of the record's `traceparent` header, for the log lines about the record; nil without one.
    public var traceId: String? {
        headers.first { $0.name == TraceParent.headerName }.flatMap { TraceParent(bytes: $0.value) }.map { String($0.traceId) }
    }
}
