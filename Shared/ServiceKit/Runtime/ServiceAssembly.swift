import AsyncHTTPClient
import DocumentStore
import Hummingbird
import HummingbirdCore
import Kafka
import Logging
import Postgres
import RedisCluster
import S3
import ServiceLifecycle

/// What a service is made of, collected at start: its settings, router, long-running components and the
/// dependencies `/ready` checks.
///
/// The accessors for the shared clients create each client once, register it as a `Service` in the process's
/// `ServiceGroup` (so it shuts down gracefully) and add its readiness check.
public final class ServiceAssembly {
    public let settings: Settings
    public let logger: Logger
    let postgresSettings: PostgresRuntimeSettings
    public let router: Router<ServiceRequestContext>
    /// How the HTTP server speaks: HTTP/1.1 unless the service needs more (the gateway adds WebSocket upgrades).
    public var httpServer: HTTPServerBuilder = .http1()
    private(set) var services: [any Service] = []
    private(set) var readinessChecks: [ReadinessCheck] = []

    init(settings: Settings, postgresSettings: PostgresRuntimeSettings, logger: Logger) {
        self.settings = settings
        self.postgresSettings = postgresSettings
        self.logger = logger
        self.router = Router(context: ServiceRequestContext.self)
    }

    /// Adds a long-running component; it runs until graceful shutdown, stopping in reverse order of addition.
    public func addService(_ service: any Service) { services.append(service) }

    /// Adds a dependency `/ready` must reach.
    public func addReadinessCheck(_ name: String, _ probe: @escaping @Sendable () async throws -> Void) {
        readinessChecks.append(ReadinessCheck(name: name, probe: probe))
    }

    /// The HTTP client for outgoing calls (S3, upstream services, webhooks).
    ///
    /// A connection that cannot be made fails the request at once (after at most 2 s) instead of being retried
    /// until the request's deadline, so callers with several instances to choose from (the gateway) move on. Up to
    /// 512 connections per upstream host, so that a burst (every client logging in after an outage) reaches the
    /// upstream, which says itself when it is overloaded, instead of queueing in the gateway.
    public private(set) lazy var httpClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(2)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 512)
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        addService(HTTPClientService(client: client))
        return client
    }()

    /// This service's PostgreSQL pool; readiness check `postgres` runs `SELECT 1`.
    public private(set) lazy var postgres: PostgresClient = {
        let client = PostgresClient(
            configuration: .init(
                url: settings.postgresURL, poolSize: settings.postgresPoolSize,
                statementTimeoutMilliseconds: postgresSettings.statementTimeoutMilliseconds),
            logger: logger.withLabel("postgres"))
        addService(client)
        addReadinessCheck("postgres") { try await client.query("SELECT 1") }
        return client
    }()

    /// The DocumentDB client; readiness check `documentdb` sends `ping`.
    public func documentStore() throws -> DocumentStoreClient {
        if let existing = documentStoreClient { return existing }
        let client = try DocumentStoreClient(uri: settings.mongoURI, logger: logger.withLabel("documentdb"))
        documentStoreClient = client
        addService(client)
        addReadinessCheck("documentdb") { try await client.ping() }
        return client
    }
    private var documentStoreClient: DocumentStoreClient?

    /// The Kafka producer; readiness check `kafka` asks the cluster for metadata.
    public func kafkaProducer() throws -> KafkaProducer {
        if let existing = producer { return existing }
        let client = try KafkaProducer(
            configuration: .init(.init(brokers: settings.kafkaBrokers, properties: settings.kafkaSecurity)),
            logger: logger.withLabel("kafka"))
        producer = client
        addService(client)
        addReadinessCheck("kafka") { try await client.checkConnection() }
        return client
    }
    private var producer: KafkaProducer?

    /// The Redis Cluster client; readiness check `redis` requires `cluster_state:ok`.
    public private(set) lazy var redis: RedisClusterClient = {
        let client = RedisClusterClient(
            configuration: .init(
                seeds: settings.redisNodes.compactMap(NodeAddress.init), username: settings.redisUsername,
                password: settings.redisPassword),
            logger: logger.withLabel("redis"))
        addService(client)
        addReadinessCheck("redis") { try await client.checkCluster() }
        return client
    }()

    /// The attachments bucket; readiness check `s3` sends `HEAD` on the bucket.
    public private(set) lazy var s3: S3Client = {
        let client = S3Client(
            configuration: .init(
                endpoint: settings.s3Endpoint.isEmpty ? nil : settings.s3Endpoint, region: settings.s3Region,
                bucket: settings.s3Bucket, pathStyle: settings.s3PathStyle,
                credentials: .init(
                    accessKeyId: settings.s3AccessKeyId, secretAccessKey: settings.s3SecretAccessKey,
                    sessionToken: settings.s3SessionToken)),
            httpClient: httpClient)
        addReadinessCheck("s3") { try await client.checkBucket() }
        return client
    }()
}

/// Shuts the shared HTTP client down after graceful shutdown.
private struct HTTPClientService: Service {
    let client: HTTPClient
    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}

extension Logger {
    /// A copy of this logger with another label, keeping its level and metadata.
    func withLabel(_ label: String) -> Logger {
        var copy = Logger(label: label)
        copy.logLevel = logLevel
        return copy
    }
}
