import ServiceKit
import Tracing

/// The handling of a batch of events (presence, storing the notifications and their pushes, the frames' events) as
/// one `notification.events` span: the child of the first event of a sampled trace (else of the first event's
/// trace, exported only if it fails), linked to the other sampled ones. The events the batch publishes continue it.
enum EventBatchTrace {
    /// The most events a batch span links to.
    static let maximumLinks = 64

    /// Runs `handle` as the span of `plans`' batch (directly when tracing is off).
    static func handling(_ plans: [NotificationPlan], _ handle: () async throws -> Void) async throws {
        guard Telemetry.isTracing else { return try await handle() }
        let traces = plans.compactMap { $0.traceparent.flatMap(TraceParent.init) }
        let parent = traces.first(where: \.isSampled) ?? traces.first
        try await withSpan("notification.events", context: Telemetry.context(continuing: parent?.description), ofKind: .consumer) { span in
            span.attributes["notification.events"] = plans.count
            for trace in traces.lazy.filter({ $0.isSampled && $0 != parent }).prefix(maximumLinks) {
                span.addLink(SpanLink(context: Telemetry.context(continuing: trace.description), attributes: [:]))
            }
            try await handle()
        }
    }
}
