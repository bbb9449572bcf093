import CRdKafka
import Foundation
import Logging
import ServiceLifecycle

/// A consumer-group member whose records arrive as an `AsyncSequence`.
///
/// Offsets are never committed automatically: call ``commit(_:)`` once a record's handling finished, which gives
/// at-least-once processing. Rebalances are handled (cooperative-sticky): once a partition is revoked, commits for
/// records polled from it fail with ``KafkaError/isPartitionRevoked`` instead of moving its new owner's offset. Polling runs on a dedicated thread and pauses while `bufferSize` records wait for the
/// application, so a slow handler applies backpressure instead of growing memory. Run the consumer as a `Service`;
/// on graceful shutdown it leaves the group cleanly and the sequence ends.
public final class KafkaConsumer: Service, AsyncSequence, Sendable {
    public typealias Element = KafkaRecord

    private let handle: RDKafkaHandle
    private let assignment: PartitionAssignment
    private let stream: AsyncStream<KafkaRecord>
    private let continuation: AsyncStream<KafkaRecord>.Continuation
    private let credits: PollCredits
    private let polling = AtomicFlag(true)
    private let logger: Logger

    public init(configuration: KafkaConsumerConfiguration, logger: Logger) throws {
        let assignment = PartitionAssignment()
        self.assignment = assignment
        self.handle = try RDKafkaHandle(type: RD_KAFKA_CONSUMER, properties: configuration.properties, callbackContext: assignment) { native in
            rd_kafka_conf_set_opaque(native, Unmanaged.passUnretained(assignment).toOpaque())
            rd_kafka_conf_set_rebalance_cb(native) { consumer, event, partitions, opaque in
                guard let consumer, let opaque else { return }
                Unmanaged<PartitionAssignment>.fromOpaque(opaque).takeUnretainedValue().rebalance(consumer, event, partitions)
            }
        }
        self.logger = logger
        (self.stream, self.continuation) = AsyncStream.makeStream(of: KafkaRecord.self)
        self.credits = PollCredits(configuration.bufferSize)
        rd_kafka_poll_set_consumer(handle.pointer)
        let list = rd_kafka_topic_partition_list_new(Int32(configuration.topics.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in configuration.topics { rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA) }
        let result = rd_kafka_subscribe(handle.pointer, list)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result) }
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(base: stream.makeAsyncIterator(), credits: credits)
    }

    /// Hands out records and returns a polling credit for each one taken.
    public struct Iterator: AsyncIteratorProtocol {
        var base: AsyncStream<KafkaRecord>.Iterator
        let credits: PollCredits

        public mutating func next() async -> KafkaRecord? {
            let record = await base.next()
            if record != nil { credits.give() }
            return record
        }
    }

    /// Commits `record`'s offset (the next one to read) for its partition, asynchronously.
    ///
    /// Throws ``KafkaError/isPartitionRevoked`` without committing when the partition was revoked from this consumer
    /// since the record was polled: its new owner reads the record again (at least once).
    public func commit(_ record: KafkaRecord) throws {
        let handle = self.handle
        let result = assignment.whileAssigned(
            topic: record.topic, partition: record.partition, generation: record.assignmentGeneration
        ) {
            let list = rd_kafka_topic_partition_list_new(1)!
            defer { rd_kafka_topic_partition_list_destroy(list) }
            rd_kafka_topic_partition_list_add(list, record.topic, record.partition).pointee.offset = record.offset + 1
            return rd_kafka_commit(handle.pointer, list, 1)
        }
        guard let result else {
            throw KafkaError.partitionRevoked(topic: record.topic, partition: record.partition, offset: record.offset)
        }
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result) }
    }

    /// The partitions assigned to this member of the group now, as the rebalance callback recorded them (no blocking
    /// call into librdkafka: readiness probes may ask as often as they like).
    public func assignedPartitions() -> [(topic: String, partition: Int32)] {
        assignment.partitions.map { ($0.topic, $0.partition) }
    }

    /// Runs the ``ServiceLifecycle/Service``: polls until graceful shutdown, then closes the consumer.
    public func run() async throws {
        let closed = ThreadHandoff<Void>()
        let thread = Thread { [self] in
            pollLoop()
            rd_kafka_consumer_close(handle.pointer)
            continuation.finish()
            closed.give(())
        }
        thread.name = "kafka-consumer-poll"
        thread.start()
        try? await gracefulShutdown()
        polling.set(false)
        await closed.value()
    }

    private func pollLoop() {
        while polling.isSet {
            guard credits.take(timeout: 0.1) else { continue }
            guard let message = rd_kafka_consumer_poll(handle.pointer, 100) else {
                credits.give()
                continue
            }
            defer { rd_kafka_message_destroy(message) }
            let native = message.pointee
            guard native.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                credits.give()
                if native.err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                    logger.warning("kafka consumer error", metadata: ["error": "\(KafkaError(native.err))"])
                }
                continue
            }
            continuation.yield(Self.record(from: message, assignment: assignment))
        }
    }

    private static func record(from message: UnsafeMutablePointer<rd_kafka_message_t>, assignment: PartitionAssignment) -> KafkaRecord {
        let native = message.pointee
        func bytes(_ pointer: UnsafeMutableRawPointer?, _ count: Int) -> [UInt8] {
            guard let pointer, count > 0 else { return [] }
            return Array(UnsafeRawBufferPointer(start: pointer, count: count))
        }
        var headers: [(name: String, value: [UInt8])] = []
        var nativeHeaders: OpaquePointer?
        if rd_kafka_message_headers(message, &nativeHeaders) == RD_KAFKA_RESP_ERR_NO_ERROR, let nativeHeaders {
            var index = 0
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(nativeHeaders, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                headers.append((name: name.map { String(cString: $0) } ?? "", value: bytes(UnsafeMutableRawPointer(mutating: value), size)))
                index += 1
            }
        }
        let topic = String(cString: rd_kafka_topic_name(native.rkt))
        return KafkaRecord(
            topic: topic,
            partition: native.partition,
            offset: native.offset,
            key: native.key.map { bytes($0, native.key_len) },
            value: bytes(native.payload, native.len),
            headers: headers,
            assignmentGeneration: assignment.generation(topic: topic, partition: native.partition)
        )
    }
}
