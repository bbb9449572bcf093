import AsyncHTTPClient
import Hummingbird
import HummingbirdCore
import Logging
import RedisCluster
import ServiceLifecycle

/// What a service is made of, composed by its command at start: its settings, router, long-running components and
/// the dependencies `/ready` checks.
///
/// Components run in the order they were added and stop in the reverse order after the HTTP server, which stops
/// first: a command adds its clients (databases, Redis, Kafka) before the workers that use them, so that on SIGTERM
/// in-flight requests finish, then the workers, then the clients they needed.
public final class ServiceAssembly {
    public let settings: Settings
    public let logger: Logger
    public let router: Router<ServiceRequestContext>
    /// How the HTTP server speaks: HTTP/1.1 unless the service needs more (WebSocket upgrades).
    public var httpServer: HTTPServerBuilder = .http1()
    /// Where a service with a public listener serves `/metrics` and the details of `/ready` instead (the public
    /// listener then answers `/ready` with its status only); nil: all on the main listener.
    public var adminListener: (host: String, port: Int)?
    private(set) var services: [any Service] = []
    private(set) var readinessChecks: [ReadinessCheck] = []
    /// The TLS of ``addRedis()``, nil for plaintext: its CA file is read before the service assembles anything, so
    /// that a bad one stops the start before any component (an HTTP client, a database pool) exists.
    let redisTLS: RedisClusterConfiguration.TLS?

    /// Throws a ``ConfigurationError`` when `CHAT_REDIS_TLS` is on and its CA file cannot be read or holds no
    /// certificate.
    init(settings: Settings, logger: Logger) throws {
        self.settings = settings
        self.logger = logger
        self.router = Router(context: ServiceRequestContext.self)
        self.redisTLS = try Self.redisTLS(settings)
    }

    static func redisTLS(_ settings: Settings) throws -> RedisClusterConfiguration.TLS? {
        guard settings.redisTLS else { return nil }
        do {
            return try RedisClusterConfiguration.TLS(caFile: settings.redisTLSCAFile)
        } catch {
            guard let caFile = settings.redisTLSCAFile else {
                throw ConfigurationError(key: .redisTLS, value: "true", expected: "the system's trust roots to be usable (\(error))")
            }
            throw ConfigurationError(key: .redisTLSCAFile, value: caFile, expected: "a readable PEM file of CA certificates (\(error))")
        }
    }

    /// Adds a long-running component, after those added before it (see the type's description for the order).
    public func add(_ service: any Service) { services.append(service) }

    /// Adds a component and the check `/ready` runs against it under `name`.
    public func add(_ service: any Service, readiness name: String, probe: @escaping @Sendable () async throws -> Void) {
        add(service)
        addReadinessCheck(name, probe)
    }

    /// Adds a dependency `/ready` must reach.
    public func addReadinessCheck(_ name: String, _ probe: @escaping @Sendable () async throws -> Void) {
        readinessChecks.append(ReadinessCheck(name: name, probe: probe))
    }

    /// A logger for a component, with the service's level and `label`.
    public func logger(_ label: String) -> Logger { logger.withLabel(label) }

    /// Adds and returns an HTTP client for outgoing calls (S3, other services, JWKS), shut down after the components
    /// added after it.
    ///
    /// A connection that cannot be made fails the request at once (after at most 2 s) instead of being retried
    /// until the request's deadline, so callers with several instances to choose from (the gateway) move on. Up to
    /// 512 connections per upstream host, so that a burst (every client logging in after an outage) reaches the
    /// upstream, which says itself when it is overloaded, instead of queueing here.
    public func addHTTPClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(2)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 512)
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        add(HTTPClientService(client: client))
        return client
    }

    /// Adds and returns the Redis Cluster client of ``Settings/redisNodes`` (over TLS with ``Settings/redisTLS``,
    /// trusting ``Settings/redisTLSCAFile``); readiness check `redis` requires `cluster_state:ok`.
    public func addRedis() -> RedisClusterClient {
        let client = RedisClusterClient(
            configuration: .init(
                seeds: settings.redisNodes.compactMap(NodeAddress.init), username: settings.redisUsername,
                password: settings.redisPassword, tls: redisTLS),
            logger: logger("redis"))
        add(client, readiness: "redis") { try await client.checkCluster() }
        return client
    }
}

/// Shuts an HTTP client down after graceful shutdown.
public struct HTTPClientService: Service {
    let client: HTTPClient

    public init(client: HTTPClient) { self.client = client }

    public func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}

extension Logger {
    /// A logger with another label and this one's level (metadata set on this logger is not carried over).
    func withLabel(_ label: String) -> Logger {
        var copy = Logger(label: label)
        copy.logLevel = logLevel
        return copy
    }
}
