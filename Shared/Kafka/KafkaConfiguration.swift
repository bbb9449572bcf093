/// Settings shared by producers and consumers; `properties` are passed to librdkafka verbatim.
public struct KafkaConfiguration: Sendable {
    /// Comma-separated bootstrap brokers.
    public var brokers: String
    /// Extra librdkafka properties, e.g. `security.protocol`, `sasl.mechanism` for MSK.
    public var properties: [String: String]

    public init(brokers: String, properties: [String: String] = [:]) {
        self.brokers = brokers
        self.properties = properties
    }

    /// What every producer and consumer is given: `properties`, the brokers, and how soon a lost broker is tried again.
    var clientProperties: [String: String] {
        var all = properties
        all["bootstrap.servers"] = brokers
        // A broker that went away (a restart, an MSK patch) is reconnected with a backoff that doubles from 100 ms.
        // librdkafka caps it at 10 s, so a broker back after a 10 s outage could wait up to 10 s more for its clients'
        // writes: 1 s bounds that at about a second, for one connection attempt a second while a broker is down.
        if all["reconnect.backoff.max.ms"] == nil { all["reconnect.backoff.max.ms"] = "1000" }
        return all
    }
}

/// Producer settings: idempotent, `acks=all`, and a bound on how long a send may take.
public struct KafkaProducerConfiguration: Sendable {
    public var common: KafkaConfiguration
    /// How long a record may wait for acknowledgement before its send fails (`message.timeout.ms`).
    public var deliveryTimeoutMilliseconds: Int
    /// How long records may wait to be batched (`linger.ms`).
    public var lingerMilliseconds: Int

    public init(_ common: KafkaConfiguration, deliveryTimeoutMilliseconds: Int = 30_000, lingerMilliseconds: Int = 1) {
        self.common = common
        self.deliveryTimeoutMilliseconds = deliveryTimeoutMilliseconds
        self.lingerMilliseconds = lingerMilliseconds
    }

    var properties: [String: String] {
        var properties = common.clientProperties
        properties["enable.idempotence"] = "true"
        properties["acks"] = "all"
        properties["message.timeout.ms"] = String(deliveryTimeoutMilliseconds)
        properties["linger.ms"] = String(lingerMilliseconds)
        // Latency: a produce request goes out at once (no Nagle on our side), and one request per broker is in flight
        // at a time. A broker that does not set TCP_NODELAY (librdkafka's mock, the local stand-in) holds its second
        // pipelined answer until our delayed ACK of the first: 40 ms per acknowledgement. With one request in flight
        // each answer goes out at once, and a request carries everything queued for the broker meanwhile (batching
        // keeps throughput; on MSK, which sets TCP_NODELAY, it only caps a broker connection at one round trip per
        // batch). Ordering per partition holds either way (idempotence).
        properties["socket.nagle.disable"] = "true"
        properties["max.in.flight.requests.per.connection"] = "1"
        return properties
    }
}

/// Consumer-group settings.
public struct KafkaConsumerConfiguration: Sendable {
    /// Which offsets the consumer commits.
    public enum Commits: Sendable {
        /// Those passed to ``KafkaConsumer/commit(_:)``, after the handler finished (at least once).
        case handled
        /// Every polled record's, for a reader that only needs to resume where it was after a rebalance (a group of
        /// its own whose members catch up elsewhere).
        case everyRecordPolled
    }

    public var common: KafkaConfiguration
    public var groupId: String
    public var topics: [String]
    /// Where a group without a committed offset starts: `earliest` or `latest`.
    public var autoOffsetReset: String
    /// How many polled records may wait for the application before polling pauses (backpressure).
    public var bufferSize: Int
    /// How long the group waits for a silent member before moving its partitions (`session.timeout.ms`).
    public var sessionTimeoutMilliseconds: Int
    /// Which offsets are committed.
    public var commits: Commits
    /// How often the stored offsets are committed (also when a partition is revoked and at close).
    public var commitIntervalMilliseconds: Int

    public init(
        _ common: KafkaConfiguration, groupId: String, topics: [String], autoOffsetReset: String = "earliest",
        bufferSize: Int = 1_000, sessionTimeoutMilliseconds: Int = 10_000, commits: Commits = .handled,
        commitIntervalMilliseconds: Int = 1_000
    ) {
        self.common = common
        self.groupId = groupId
        self.topics = topics
        self.autoOffsetReset = autoOffsetReset
        self.bufferSize = bufferSize
        self.sessionTimeoutMilliseconds = sessionTimeoutMilliseconds
        self.commits = commits
        self.commitIntervalMilliseconds = commitIntervalMilliseconds
    }

    var properties: [String: String] {
        var properties = common.clientProperties
        properties["group.id"] = groupId
        properties["enable.auto.commit"] = "true"
        properties["enable.auto.offset.store"] = commits == .everyRecordPolled ? "true" : "false"
        properties["auto.commit.interval.ms"] = String(commitIntervalMilliseconds)
        properties["auto.offset.reset"] = autoOffsetReset
        // The end of a partition is reported, which tells that the consumer reads it (KafkaConsumer.isPositioned).
        properties["enable.partition.eof"] = "true"
        // Fetch requests go out at once (see the producer's setting).
        properties["socket.nagle.disable"] = "true"
        properties["partition.assignment.strategy"] = "cooperative-sticky"
        properties["session.timeout.ms"] = String(sessionTimeoutMilliseconds)
        properties["heartbeat.interval.ms"] = String(max(sessionTimeoutMilliseconds / 10, 100))
        return properties
    }
}
