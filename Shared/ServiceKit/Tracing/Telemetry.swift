import Logging
import NIOHTTP1
import OTel
import ServiceLifecycle
import Tracing

/// The process's tracing: off unless ``ConfigKey/otelEndpoint`` is set, then spans go by OTLP/HTTP (protobuf) to
/// that collector, new traces sampled at ``ConfigKey/otelSampleRatio`` (a trace started upstream keeps its caller's
/// decision) and failing spans always (``ErrorKeepingTracer``).
///
/// Off, the tracer is swift-distributed-tracing's no-op one and the product's helpers return before doing any work
/// (``isTracing``). On, every log line written inside a span carries `trace_id` and `span_id`.
public enum Telemetry {
    /// Whether spans are recorded; set once at start, before any component runs.
    public nonisolated(unsafe) private(set) static var isTracing = false

    /// Bootstraps tracing from `settings`; returns the exporter to run with the service's components (nil when off).
    static func bootstrap(_ service: ServiceName, settings: Settings, logger: Logger) throws -> (any Service)? {
        guard let endpoint = settings.otelEndpoint else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = service.rawValue
        configuration.resourceAttributes["service.version"] = ProductVersion.current
        configuration.diagnosticLogger = .custom(logger)
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        configuration.traces.exporter = .otlp
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.traces.otlpExporter.endpoint = endpoint.hasSuffix("/") ? endpoint + "v1/traces" : endpoint + "/v1/traces"
        configuration.traces.sampler = .parentBasedTraceIDRatio(ratio: settings.otelSampleRatio) ?? .parentBasedAlwaysOn
        // Sent every second, up to 16,384 spans queued (about 16 MB): at a sampling ratio of 1 a loaded chat instance
        // ends thousands of spans a second, which the default queue of 2,048 would drop.
        configuration.traces.batchSpanProcessor.scheduleDelay = .seconds(1)
        configuration.traces.batchSpanProcessor.maxQueueSize = 16_384
        configuration.traces.batchSpanProcessor.maxExportBatchSize = 2_048
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(ErrorKeepingTracer(backend.factory))
        isTracing = true
        return backend.service
    }

    /// The `traceparent` of `context`'s span; nil when tracing is off or the context holds no span.
    public static func traceparent(of context: ServiceContext) -> String? {
        guard isTracing else { return nil }
        var carrier: [String: String] = [:]
        InstrumentationSystem.tracer.inject(context, into: &carrier, using: DictionaryCarrier())
        return carrier[TraceParent.headerName]
    }

    /// Adds the current span's `traceparent` to a record's headers (nothing when tracing is off or no span is current).
    public static func injectCurrent(into headers: inout [(name: String, value: [UInt8])]) {
        guard isTracing, let context = ServiceContext.current else { return }
        InstrumentationSystem.tracer.inject(context, into: &headers, using: KafkaHeadersInjector())
    }

    /// Sets the current span's `traceparent` on a request made without AsyncHTTPClient (which adds it itself): the
    /// gateway's WebSocket upgrades. Nothing when tracing is off or no span is current (a caller's own `traceparent`
    /// then passes unchanged).
    public static func injectCurrent(into headers: inout HTTPHeaders) {
        guard isTracing, let context = ServiceContext.current else { return }
        InstrumentationSystem.tracer.inject(context, into: &headers, using: HTTPHeadersInjector())
    }

    /// Removes a caller's trace context from headers about to be forwarded (the HTTP client of a service adds the
    /// current span's own when tracing is on).
    public static func removeTraceHeaders(from headers: inout HTTPHeaders) {
        headers.remove(name: TraceParent.headerName)
        headers.remove(name: "tracestate")
    }

    /// A context whose remote parent is `traceparent` (top level when nil, invalid or tracing is off).
    public static func context(continuing traceparent: String?) -> ServiceContext {
        var context = ServiceContext.topLevel
        guard isTracing, let traceparent else { return context }
        InstrumentationSystem.tracer.extract([TraceParent.headerName: traceparent], into: &context, using: DictionaryCarrier())
        return context
    }
}
