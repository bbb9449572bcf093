import Hummingbird
import Logging
import Metrics
import NIOPosix
import OTel
import Prometheus
import ServiceLifecycle
import Tracing

/// The product's version, reported by `--version` and the `chat_service_info` metric.
public enum ProductVersion {
    public static let current = "0.1.0"
}

/// Starts one service: logging, metrics, tracing (``Telemetry``), the HTTP server with the operational routes, and
/// every component of its ``ServiceAssembly``, all in one `ServiceGroup` that shuts down gracefully on SIGTERM or
/// SIGINT.
public enum ServiceRuntime {
    /// Runs `service` until SIGTERM or SIGINT with what `assemble` adds to it.
    public static func run(
        _ service: ServiceName, settings: Settings, assemble: (ServiceAssembly) async throws -> Void
    ) async throws {
        let logger = bootstrapLogging(service, settings: settings)
        let registry = PrometheusCollectorRegistry()
        var metrics = PrometheusMetricsFactory(registry: registry)
        metrics.nameAndLabelSanitizer = MetricNaming.exported
        metrics.defaultDurationHistogramBuckets = MetricNaming.durationBuckets
        metrics.valueHistogramBuckets = MetricNaming.valueBuckets
        MetricsSystem.bootstrap(metrics)
        let tracing = try Telemetry.bootstrap(service, settings: settings, logger: logger.withLabel("otel"))

        let assembly: ServiceAssembly
        do {
            assembly = try ServiceAssembly(settings: settings, logger: logger)
        } catch {
            logger.critical("not starting: unusable configuration", metadata: ["error": "\(error)"])
            throw error
        }
        // The exporter is the first component, so that it stops last and sends what the others traced meanwhile.
        if let exporter = tracing { assembly.add(exporter) }
        if Telemetry.isTracing {
            assembly.router.middlewares.add(RequestTracingMiddleware())
        }
        // Outside the request id middleware, which answers errors: the metrics count the status the client got.
        assembly.router.middlewares.add(MetricsMiddleware())
        assembly.router.middlewares.add(RequestIdMiddleware())
        try await assemble(assembly)
        let checks = assembly.readinessChecks
        var listeners: [any Service] = []
        if let admin = assembly.adminListener {
            OperationalRoutes.add(to: assembly.router, checks: { checks }, readyTimeout: settings.readyTimeout, registry: nil, detailed: false)
            let router = Router(context: ServiceRequestContext.self)
            router.middlewares.add(RequestIdMiddleware())
            OperationalRoutes.add(to: router, checks: { checks }, readyTimeout: settings.readyTimeout, registry: registry)
            listeners.append(
                Application(
                    router: router, configuration: .init(address: .hostname(admin.host, port: admin.port), serverName: service.rawValue),
                    logger: logger))
        } else {
            OperationalRoutes.add(to: assembly.router, checks: { checks }, readyTimeout: settings.readyTimeout, registry: registry)
        }
        Gauge(label: "chat_service_info", dimensions: [("service", service.rawValue), ("version", ProductVersion.current)])
            .record(1)

        listeners.append(
            Application(
                router: assembly.router,
                server: assembly.httpServer,
                configuration: .init(address: .hostname(settings.httpHost, port: settings.httpPort), serverName: service.rawValue),
                logger: logger))
        // The HTTP listeners are listed last so that they stop first: in-flight requests finish while clients still work.
        let group = ServiceGroup(
            configuration: .init(
                services: (assembly.services + listeners).map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        logger.info("starting", metadata: ["port": "\(settings.httpPort)", "version": "\(ProductVersion.current)"])
        try await withTaskExecutorPreference(EventLoopTaskExecutor(.singleton)) { try await group.run() }
        logger.info("stopped")
    }

    /// Sends every log line of the process as JSON to standard output, with `trace_id` and `span_id` inside a span
    /// when tracing is on; returns the service's logger.
    public static func bootstrapLogging(_ service: ServiceName, settings: Settings) -> Logger {
        let traceIds: Logger.MetadataProvider? = settings.otelEndpoint == nil ? nil : OTel.makeLoggingMetadataProvider()
        LoggingSystem.bootstrap(
            { label, provider in
                var handler = JSONLogHandler(label: label, service: service.rawValue, level: settings.logLevel)
                handler.metadataProvider = provider
                return handler
            }, metadataProvider: traceIds)
        var logger = Logger(label: service.rawValue)
        logger.logLevel = settings.logLevel
        return logger
    }
}
