import CRdKafka
import Foundation
import Logging
import ServiceLifecycle

/// A consumer-group member whose records arrive as an `AsyncSequence`.
///
/// A record's offset is committed only once the application called ``commit(_:)`` for it (or, for a consumer
/// configured with ``KafkaConsumerConfiguration/Commits/everyRecordPolled``, once it was polled), which gives
/// at-least-once processing: ``commit(_:)`` stores the offset and librdkafka commits the stored offsets every
/// `commitIntervalMilliseconds`, when a partition is revoked and when the consumer closes. Rebalances are handled
/// (cooperative-sticky): once a partition is revoked, commits for records polled from it fail with
/// ``KafkaError/isPartitionRevoked`` instead of moving its new owner's offset. Polling runs on a dedicated thread and
/// pauses while `bufferSize` records wait for the application, so a slow handler applies backpressure instead of
/// growing memory. Run the consumer as a `Service`; on graceful shutdown it leaves the group cleanly and the sequence
/// ends.
public final class KafkaConsumer: Service, AsyncSequence, Sendable {
    public typealias Element = KafkaRecord

    private let handle: RDKafkaHandle
    private let assignment: PartitionAssignment
    private let buffer = RecordBuffer()
    private let credits: PollCredits
    private let polling = AtomicFlag(true)
    private let logger: Logger
    /// Used by the polling thread only.
    nonisolated(unsafe) private let lag: ConsumerLag

    public init(configuration: KafkaConsumerConfiguration, logger: Logger) throws {
        let assignment = PartitionAssignment()
        self.assignment = assignment
        self.handle = try RDKafkaHandle(type: RD_KAFKA_CONSUMER, properties: configuration.properties, callbackContext: assignment) { native in
            rd_kafka_conf_set_opaque(native, Unmanaged.passUnretained(assignment).toOpaque())
            rd_kafka_conf_set_rebalance_cb(native) { consumer, event, partitions, opaque in
                guard let consumer, let opaque else { return }
                Unmanaged<PartitionAssignment>.fromOpaque(opaque).takeUnretainedValue().rebalance(consumer, event, partitions)
            }
            rd_kafka_conf_set_offset_commit_cb(native) { _, error, offsets, opaque in
                guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let offsets, let opaque else { return }
                Unmanaged<PartitionAssignment>.fromOpaque(opaque).takeUnretainedValue().committed(offsets)
            }
        }
        self.logger = logger
        self.lag = ConsumerLag(group: configuration.groupId)
        self.credits = PollCredits(configuration.bufferSize)
        rd_kafka_poll_set_consumer(handle.pointer)
        let list = rd_kafka_topic_partition_list_new(Int32(configuration.topics.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in configuration.topics { rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA) }
        let result = rd_kafka_subscribe(handle.pointer, list)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result) }
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(consumer: self)
    }

    /// Hands out records one at a time.
    public struct Iterator: AsyncIteratorProtocol {
        let consumer: KafkaConsumer

        public mutating func next() async -> KafkaRecord? {
            await consumer.records(upTo: 1).first
        }
    }

    /// Between one and `limit` records, as many as are waiting (at least one: it waits for it), in the order they
    /// were polled; empty once the consumer closed or the task was cancelled. For handlers that work in batches.
    public func records(upTo limit: Int) async -> [KafkaRecord] {
        let records = await buffer.next(upTo: limit)
        for _ in records { credits.give() }
        return records
    }

    /// Commits `record`'s offset (the next one to read) for its partition: stores it for the next automatic commit.
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
            return rd_kafka_offsets_store(handle.pointer, list)
        }
        guard let result else {
            throw KafkaError.partitionRevoked(topic: record.topic, partition: record.partition, offset: record.offset)
        }
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result) }
    }

    /// The offset the group last committed for `topic`/`partition` by this member (the next record it reads after a
    /// restart), as the commit callback recorded it; `nil` before its first commit.
    public func committedOffset(topic: String, partition: Int32) -> Int64? {
        assignment.committedOffset(topic: topic, partition: partition)
    }

    /// Whether this member has partitions and has fetched from each of them since it was assigned (a record or the
    /// partition's end): from then on every record published reaches it.
    public func isPositioned() -> Bool {
        assignment.isPositioned
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
            buffer.finish()
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
            lag.export(handle.pointer)
            guard credits.take(timeout: 0.1) else { continue }
            guard let message = rd_kafka_consumer_poll(handle.pointer, 100) else {
                credits.give()
                continue
            }
            defer { rd_kafka_message_destroy(message) }
            let native = message.pointee
            guard native.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                credits.give()
                if native.err == RD_KAFKA_RESP_ERR__PARTITION_EOF, let topic = native.rkt {
                    assignment.fetched(topic: String(cString: rd_kafka_topic_name(topic)), partition: native.partition)
                } else {
                    logger.warning("kafka consumer error", metadata: ["error": "\(KafkaError(native.err))"])
                }
                continue
            }
            let record = Self.record(from: message, assignment: assignment)
            lag.polled(topic: record.topic, partition: record.partition, offset: record.offset)
            buffer.append(record)
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
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        return KafkaRecord(
            topic: topic,
            partition: native.partition,
            offset: native.offset,
            key: native.key.map { bytes($0, native.key_len) },
            value: bytes(native.payload, native.len),
            headers: headers,
            assignmentGeneration: assignment.fetched(topic: topic, partition: native.partition),
            timestampMilliseconds: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp
        )
    }
}
