/// A record read from a topic.
public struct KafkaRecord: Sendable {
    public let topic: String
    public let partition: Int32
    public let offset: Int64
    public let key: [UInt8]?
    public let value: [UInt8]
    public let headers: [(name: String, value: [UInt8])]
    /// The assignment generation of the partition when the record was polled (see `PartitionAssignment`).
    let assignmentGeneration: UInt64
    /// When the record was produced (its Kafka timestamp), in milliseconds since 1970; nil when it has none.
    public internal(set) var timestampMilliseconds: Int64? = nil
}

/// A record to send with ``KafkaProducer/send(_:)``.
public struct KafkaOutgoingRecord: Sendable {
    public let topic: String
    /// Records with the same key go to the same partition, in the order they were sent.
    public let key: [UInt8]?
    public let value: [UInt8]
    public var headers: [(name: String, value: [UInt8])]

    public init(topic: String, key: [UInt8]?, value: [UInt8], headers: [(name: String, value: [UInt8])] = []) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
    }
}
