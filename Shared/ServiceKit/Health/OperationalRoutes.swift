import Foundation
import Hummingbird
import Prometheus

/// `GET /health`, `GET /ready` and `GET /metrics`, served by every service.
public enum OperationalRoutes {
    /// Adds the routes to `router`.
    ///
    /// - `/health`: liveness, `{"status":"ok"}` without touching any dependency.
    /// - `/ready`: runs `checks`; 200 `{"status":"ready","checks":{...}}`, or 503 `unavailable` naming the failing
    ///   dependencies in the message and listing every check's outcome under `checks`. Without `detailed`, only
    ///   `{"status":"ready"}` or a 503 that names nothing (a public listener tells no one what runs behind it).
    /// - `/metrics`: the Prometheus text exposition of `registry`, when given.
    public static func add(
        to router: Router<ServiceRequestContext>, checks: @escaping @Sendable () -> [ReadinessCheck],
        readyTimeout: Duration, registry: PrometheusCollectorRegistry?, detailed: Bool = true
    ) {
        router.get("/health") { _, _ in
            try JSONResponse.make(.ok, ["status": "ok"])
        }
        router.get("/ready") { _, context in
            let report = await ReadinessReport.run(checks(), timeout: readyTimeout)
            let failing = report.failing
            guard detailed else {
                guard failing.isEmpty else { throw APIError.unavailable("not ready", retryAfterSeconds: 1) }
                return try JSONResponse.make(.ok, ["status": "ready"])
            }
            guard failing.isEmpty else {
                let reasons = failing.compactMap { name in report.results[name].map { "\(name): \($0)" } }.joined(separator: "; ")
                return APIError.unavailable("dependency not ready: \(reasons)")
                    .response(requestId: context.requestId, extra: report.results)
            }
            return try JSONResponse.make(.ok, ReadyBody(status: "ready", checks: report.results))
        }
        guard let registry else { return }
        router.get("/metrics") { _, _ in
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }

    private struct ReadyBody: Encodable {
        let status: String
        let checks: [String: String]
    }
}
