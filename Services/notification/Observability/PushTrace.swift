import Kafka
import ServiceKit
import Tracing

/// A push attempt as a `notification.push` span (client kind), continuing the trace of the event that made the
/// notification; only for pushes of a sampled trace, or any that fails (``ErrorKeepingTracer``) when its event
/// carried a trace at all. Without tracing, or for a notification stored without a trace, the push runs untouched.
enum PushTrace {
    /// Runs `send` (which answers the HTTP status) as the attempt of `push`; a status other than 2xx or a thrown
    /// error marks the span failed.
    static func attempt(_ push: PushOutbox.Pending, _ send: () async throws -> Int) async throws -> Int {
        guard Telemetry.isTracing, let traceparent = push.traceparent else { return try await send() }
        return try await withSpan("notification.push", context: Telemetry.context(continuing: traceparent), ofKind: .client) { span in
            span.attributes["notification.delivery_id"] = push.deliveryId
            span.attributes["notification.attempt"] = push.attempt
            let status = try await send()
            span.attributes["http.response.status_code"] = status
            if !(200..<300).contains(status) { span.setStatus(SpanStatus(code: .error, message: "HTTP \(status)")) }
            return status
        }
    }
}

extension NotificationPlan {
    /// This plan, continuing the trace of `record` (its `traceparent` header) when tracing is on.
    func continuing(_ record: KafkaRecord) -> NotificationPlan {
        guard Telemetry.isTracing,
            let header = record.headers.first(where: { $0.name == TraceParent.headerName }),
            let traceparent = TraceParent(bytes: header.value)
        else { return self }
        var plan = self
        plan.traceparent = traceparent.description
        return plan
    }
}
