import Foundation
import Hummingbird
import Prometheus

/// `GET /health`, `GET /ready` and `GET /metrics`, served by every service.
public enum OperationalRoutes {
    /// Adds the three routes to `router`.
    ///
    /// - `/health`: liveness, `{"status":"ok"}` without touching any dependency.
    /// - `/ready`: runs `checks`; 200 `{"status":"ready","checks":{...}}`, or 503 `unavailable` naming the failing
    ///   dependencies in the message and listing every check's outcome under `checks`.
    /// - `/metrics`: the Prometheus text exposition of `registry`.
    public static func add(
        to router: Router<ServiceRequestContext>, checks: @escaping @Sendable () -> [ReadinessCheck],
        readyTimeout: Duration, registry: PrometheusCollectorRegistry
    ) {
        router.get("/health") { _, _ in
            try JSONResponse.make(.ok, ["status": "ok"])
        }
        router.get("/ready") { _, context in
            let report = await ReadinessReport.run(checks(), timeout: readyTimeout)
            let failing = report.failing
            guard failing.isEmpty else {
                let reasons = failing.map { "\($0): \(report.results[$0]!)" }.joined(separator: "; ")
                return APIError.unavailable("dependency not ready: \(reasons)")
                    .response(requestId: context.requestId, extra: report.results)
            }
            return try JSONResponse.make(.ok, ReadyBody(status: "ready", checks: report.results))
        }
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
