import CRdKafka
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Where a record was stored.
public struct KafkaDeliveryReport: Sendable {
    public let partition: Int32
    public let offset: Int64
}

/// An idempotent `acks=all` producer. Each ``send(topic:key:value:headers:)`` returns once the brokers acknowledged
/// the record (or fails after the configured delivery timeout).
///
/// Nothing blocks the caller: delivery reports are served by a dedicated polling thread, which on graceful shutdown
/// flushes what is still in flight (up to ``flushTimeoutMilliseconds``) before it ends; metadata requests (readiness,
/// topic checks) run on one control thread of the producer's own.
public final class KafkaProducer: Service, Sendable {
    /// The longest the shutdown waits for records in flight to be acknowledged.
    public static let flushTimeoutMilliseconds: Int32 = 10_000
    private let handle: RDKafkaHandle
    private let polling = AtomicFlag(true)
    private let flushed = ThreadHandoff<rd_kafka_resp_err_t>()
    private let control: NIOThreadPool
    private let logger: Logger

    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws {
        self.handle = try RDKafkaHandle(type: RD_KAFKA_PRODUCER, properties: configuration.properties) { native in
            rd_kafka_conf_set_dr_msg_cb(native) { _, message, _ in
                guard let message, let opaque = message.pointee._private else { return }
                let pending = Unmanaged<PendingDelivery>.fromOpaque(opaque).takeRetainedValue()
                let native = message.pointee
                pending.deliveries.complete(
                    pending.index,
                    native.err == RD_KAFKA_RESP_ERR_NO_ERROR
                        ? .success(KafkaDeliveryReport(partition: native.partition, offset: native.offset))
                        : .failure(KafkaError(native.err)))
            }
        }
        self.logger = logger
        control = NIOThreadPool(numberOfThreads: 1)
        control.start()
        let handle = self.handle
        let thread = Thread { [polling, flushed] in
            while polling.isSet { rd_kafka_poll(handle.pointer, 100) }
            flushed.give(rd_kafka_flush(handle.pointer, Self.flushTimeoutMilliseconds))
        }
        thread.name = "kafka-producer-poll"
        thread.start()
    }

    /// The linked librdkafka version.
    public static var libraryVersion: String { RDKafkaHandle.libraryVersion }

    /// Sends one record and waits for the brokers to acknowledge it.
    @discardableResult
    public func send(
        topic: String, key: [UInt8]?, value: [UInt8], headers: [(name: String, value: [UInt8])] = []
    ) async throws -> KafkaDeliveryReport {
        try await send([KafkaOutgoingRecord(topic: topic, key: key, value: value, headers: headers)])[0]
    }

    /// Sends `records` in their order (records of one partition keep it: the producer is idempotent) and waits until
    /// the brokers acknowledged all of them; throws the first failure.
    @discardableResult
    public func send(_ records: [KafkaOutgoingRecord]) async throws -> [KafkaDeliveryReport] {
        try await enqueue(records).reports()
    }

    /// Hands `records` to librdkafka in their order and returns at once, so that what is enqueued next is sent after
    /// them; their acknowledgements come through the returned ``KafkaDeliveries``.
    public func enqueue(_ records: [KafkaOutgoingRecord]) -> KafkaDeliveries {
        let deliveries = KafkaDeliveries(count: records.count)
        for (index, record) in records.enumerated() {
            let opaque = Unmanaged.passRetained(PendingDelivery(deliveries, index: index)).toOpaque()
            if let error = produce(record, opaque: opaque) {
                Unmanaged<PendingDelivery>.fromOpaque(opaque).release()
                deliveries.complete(index, .failure(error))
            }
        }
        return deliveries
    }

    /// Checks that the cluster answers a metadata request; used by readiness probes.
    public func checkConnection(timeout: Duration = .seconds(2)) async throws {
        _ = try await blocking(timeout) { handle, milliseconds in try handle.brokerCount(timeoutMilliseconds: milliseconds) }
    }

    /// The number of partitions of `topic`, or nil when the cluster does not know it.
    public func partitionCount(of topic: String, timeout: Duration = .seconds(5)) async throws -> Int? {
        try await blocking(timeout) { handle, milliseconds in try handle.partitionCount(of: topic, timeoutMilliseconds: milliseconds) }
    }

    /// Runs a blocking metadata call on the control thread, never on the caller's executor.
    private func blocking<T: Sendable>(
        _ timeout: Duration, _ call: @escaping @Sendable (RDKafkaHandle, Int32) throws -> T
    ) async throws -> T {
        let handle = self.handle
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        return try await control.runIfActive { try call(handle, milliseconds) }
    }

    /// Runs the ``ServiceLifecycle/Service``: on graceful shutdown the polling thread flushes the records in flight
    /// (up to ``flushTimeoutMilliseconds``) and ends.
    public func run() async throws {
        try? await gracefulShutdown()
        polling.set(false)
        let result = await flushed.value()
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("kafka producer flush incomplete", metadata: ["error": "\(KafkaError(result))"])
        }
        try await control.shutdownGracefully()
    }

    private func produce(_ record: KafkaOutgoingRecord, opaque: UnsafeMutableRawPointer) -> KafkaError? {
        let (key, value) = (record.key, record.value)
        // RD_KAFKA_MSG_F_COPY: librdkafka copies key, value and headers, so every pointer below need only live for the
        // call. Header names and values are laid out in one buffer so that all of them are valid at once.
        let layout = HeaderLayout(record.headers)
        return record.topic.withCString { topicPointer in
            value.withUnsafeBytes { valueBytes in
                withOptionalBytes(key) { keyBytes in
                    layout.bytes.withUnsafeBytes { headerBytes in
                        var fields: [rd_kafka_vu_t] = []
                        fields.append(field(RD_KAFKA_VTYPE_TOPIC) { $0.cstr = topicPointer })
                        fields.append(
                            field(RD_KAFKA_VTYPE_VALUE) {
                                $0.mem.ptr = UnsafeMutableRawPointer(mutating: valueBytes.baseAddress)
                                $0.mem.size = valueBytes.count
                            })
                        if let keyBytes {
                            fields.append(
                                field(RD_KAFKA_VTYPE_KEY) {
                                    $0.mem.ptr = UnsafeMutableRawPointer(mutating: keyBytes.baseAddress)
                                    $0.mem.size = keyBytes.count
                                })
                        }
                        fields.append(field(RD_KAFKA_VTYPE_MSGFLAGS) { $0.i = RD_KAFKA_MSG_F_COPY })
                        fields.append(field(RD_KAFKA_VTYPE_OPAQUE) { $0.ptr = opaque })
                        for header in layout.headers {
                            fields.append(
                                field(RD_KAFKA_VTYPE_HEADER) {
                                    $0.header.name = headerBytes.baseAddress.map {
                                        UnsafePointer($0.advanced(by: header.nameOffset).assumingMemoryBound(to: CChar.self))
                                    }
                                    $0.header.val = headerBytes.baseAddress.map { UnsafeRawPointer($0.advanced(by: header.valueOffset)) }
                                    $0.header.size = header.valueCount
                                })
                        }
                        guard let error = rd_kafka_produceva(handle.pointer, fields, fields.count) else { return nil }
                        defer { rd_kafka_error_destroy(error) }
                        return KafkaError(code: rd_kafka_error_code(error).rawValue, message: String(cString: rd_kafka_error_string(error)))
                    }
                }
            }
        }
    }
}

/// The headers of one record in one buffer: each name NUL-terminated, followed by its value.
private struct HeaderLayout {
    struct Header {
        let nameOffset: Int
        let valueOffset: Int
        let valueCount: Int
    }

    var bytes: [UInt8] = []
    var headers: [Header] = []

    init(_ headers: [(name: String, value: [UInt8])]) {
        for header in headers {
            let nameOffset = bytes.count
            bytes.append(contentsOf: header.name.utf8)
            bytes.append(0)
            let valueOffset = bytes.count
            bytes.append(contentsOf: header.value)
            self.headers.append(Header(nameOffset: nameOffset, valueOffset: valueOffset, valueCount: header.value.count))
        }
    }
}

/// One record of a ``KafkaProducer/enqueue(_:)``: its index in the batch and the batch's deliveries.
private final class PendingDelivery {
    let deliveries: KafkaDeliveries
    let index: Int
    init(_ deliveries: KafkaDeliveries, index: Int) {
        self.deliveries = deliveries
        self.index = index
    }
}

/// The acknowledgements of the records of one ``KafkaProducer/enqueue(_:)``, awaited once.
public final class KafkaDeliveries: Sendable {
    public typealias Outcome = Result<KafkaDeliveryReport, KafkaError>
    private struct State {
        var outcomes: [Outcome?]
        var remaining: Int
        var waiter: CheckedContinuation<[Outcome], Never>?
    }
    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(outcomes: Array(repeating: nil, count: count), remaining: count))
    }

    /// The outcome of every record, in the order they were enqueued, once the brokers answered for all of them.
    public func outcomes() async -> [Outcome] {
        await withCheckedContinuation { continuation in
            let outcomes = state.withLock { state -> [Outcome]? in
                guard state.remaining == 0 else {
                    state.waiter = continuation
                    return nil
                }
                return state.outcomes.compactMap { $0 }
            }
            if let outcomes { continuation.resume(returning: outcomes) }
        }
    }

    /// The report of every record, in the order they were enqueued, once the brokers acknowledged all of them;
    /// throws the first failure.
    public func reports() async throws -> [KafkaDeliveryReport] {
        try await outcomes().map { try $0.get() }
    }

    func complete(_ index: Int, _ result: Outcome) {
        let (waiter, outcomes) = state.withLock { state -> (CheckedContinuation<[Outcome], Never>?, [Outcome]) in
            state.outcomes[index] = result
            state.remaining -= 1
            guard state.remaining == 0, let waiter = state.waiter else { return (nil, []) }
            state.waiter = nil
            return (waiter, state.outcomes.compactMap { $0 })
        }
        waiter?.resume(returning: outcomes)
    }
}

private func field(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t.__Unnamed_union_u) -> Void) -> rd_kafka_vu_t {
    var value = rd_kafka_vu_t()
    value.vtype = type
    fill(&value.u)
    return value
}

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}
