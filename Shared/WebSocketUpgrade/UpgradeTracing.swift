import NIOHTTP1
import ServiceKit
import Tracing

/// The span of a WebSocket upgrade (`GET /v1/ws`), continuing the caller's `traceparent`: current while the upgrade is
/// admitted, so that the gateway forwards it to chat and chat's session continues it with each `send`.
enum UpgradeTracing {
    /// Runs `admit` within the upgrade's span (directly when tracing is off); a refusal with a 5xx marks it failed.
    static func admit<Connection>(
        _ request: HTTPRequestHead, _ admit: () async -> WebSocketAdmission<Connection>
    ) async -> WebSocketAdmission<Connection> {
        guard Telemetry.isTracing else { return await admit() }
        var parent = ServiceContext.topLevel
        InstrumentationSystem.instrument.extract(request.headers, into: &parent, using: HTTPHeadersExtractor())
        return await withSpan("GET /v1/ws", context: parent, ofKind: .server) { span in
            let admission = await admit()
            switch admission {
            case .accept:
                span.attributes["http.response.status_code"] = 101
            case .refuse(let refusal):
                span.attributes["http.response.status_code"] = Int(refusal.status.code)
                if refusal.status.code >= 500 { span.setStatus(SpanStatus(code: .error)) }
            }
            return admission
        }
    }
}
