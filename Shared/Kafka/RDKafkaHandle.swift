import CRdKafka

/// Owns one `rd_kafka_t` and builds it from string properties; the single place this module configures librdkafka.
final class RDKafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    /// What the registered callbacks reach through their opaque pointer; kept alive until `rd_kafka_destroy` returned.
    private let callbackContext: AnyObject?

    /// Creates a producer or consumer handle; `configure` may register callbacks on the native configuration, and
    /// `callbackContext` is kept alive as long as the handle.
    init(
        type: rd_kafka_type_t, properties: [String: String], callbackContext: AnyObject? = nil,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws {
        self.callbackContext = callbackContext
        let configuration = rd_kafka_conf_new()!
        var errorText = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            guard rd_kafka_conf_set(configuration, key, value, &errorText, errorText.count) == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(configuration)
                throw KafkaError(message: "\(key): \(Self.text(errorText))")
            }
        }
        configure(configuration)
        // rd_kafka_new takes ownership of the configuration only when it succeeds.
        guard let handle = rd_kafka_new(type, configuration, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(configuration)
            throw KafkaError(message: Self.text(errorText))
        }
        self.pointer = handle
    }

    deinit { rd_kafka_destroy(pointer) }

    /// Asks the cluster for its metadata, blocking up to `timeoutMilliseconds`; returns the number of brokers.
    func brokerCount(timeoutMilliseconds: Int32) throws -> Int {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let result = rd_kafka_metadata(pointer, 0, nil, &metadata, timeoutMilliseconds)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError(result) }
        defer { rd_kafka_metadata_destroy(metadata) }
        return Int(metadata.pointee.broker_cnt)
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The number of partitions of `topic` as the cluster reports it, or nil when the topic does not exist.
    /// Asks for all topics' metadata, which never auto-creates one.
    func partitionCount(of topic: String, timeoutMilliseconds: Int32) throws -> Int? {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let result = rd_kafka_metadata(pointer, 1, nil, &metadata, timeoutMilliseconds)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError(result) }
        defer { rd_kafka_metadata_destroy(metadata) }
        let topics = UnsafeBufferPointer(start: metadata.pointee.topics, count: Int(metadata.pointee.topic_cnt))
        guard let match = topics.first(where: { String(cString: $0.topic) == topic }), match.err == RD_KAFKA_RESP_ERR_NO_ERROR
        else { return nil }
        return Int(match.partition_cnt)
    }

    /// The linked librdkafka version, e.g. `2.0.2`.
    static var libraryVersion: String { String(cString: rd_kafka_version_str()) }
}
