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
}
