/// The names under which the services export Hummingbird's HTTP metrics: Prometheus conventions (`_total`,
/// `_seconds`) and the labels the dashboards group by (infrastructure/observability/metrics.yaml).
///
/// Hummingbird's metrics middleware names them after OpenTelemetry's HTTP conventions (`hb.requests`,
/// `http.server.request.duration` with `http.route` …); every other metric of the product is named as exported.
enum MetricNaming {
    static let names: [String: String] = [
        "hb.requests": "hb_requests_total",
        "http.server.request.duration": "hb_request_duration_seconds",
        "hb.request.errors": "hb_request_errors_total",
        "http.server.active_requests": "hb_active_requests",
    ]
    static let labels: [String: String] = [
        "http.route": "path", "http.request.method": "method", "http.response.status_code": "status", "error.type": "status",
    ]

    /// Buckets of every duration histogram: from half a millisecond (a Redis round trip) to 10 s.
    static let durationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .microseconds(2_500_000),
        .seconds(5), .seconds(10),
    ]
    /// Buckets of the value histograms, by name.
    static let valueBuckets: [String: [Double]] = [
        "chat_writer_batch_size": [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000]
    ]

    /// `name` and `labels` as exported.
    @Sendable static func exported(_ name: String, _ labels: [(String, String)]) -> (String, [(String, String)]) {
        guard let renamed = names[name] else { return (name, labels) }
        return (renamed, labels.map { (Self.labels[$0.0] ?? $0.0, $0.1) })
    }
}
