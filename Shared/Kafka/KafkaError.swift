import CRdKafka

/// A failure reported by librdkafka.
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    /// librdkafka's error code (`rd_kafka_resp_err_t`), 0 for errors raised by this module.
    public let code: Int32
    public let message: String

    public init(code: Int32 = 0, message: String) {
        self.code = code
        self.message = message
    }

    init(_ error: rd_kafka_resp_err_t) {
        self.init(code: error.rawValue, message: String(cString: rd_kafka_err2str(error)))
    }

    /// Whether the error is a delivery that timed out (`message.timeout.ms` elapsed).
    public var isTimeout: Bool {
        code == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue || code == RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue
    }

    /// A commit refused because the record's partition was revoked from this consumer after the record was polled.
    static func partitionRevoked(topic: String, partition: Int32, offset: Int64) -> KafkaError {
        KafkaError(
            code: RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS.rawValue,
            message: "partition \(partition) of \(topic) was revoked from this consumer; offset \(offset) not committed")
    }

    /// Whether a commit was refused because the partition now belongs to another member of the group, which will
    /// deliver the record again; the handler's work stays done, nothing else is needed.
    public var isPartitionRevoked: Bool { code == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS.rawValue }

    public var description: String { "Kafka error \(code): \(message)" }
}
