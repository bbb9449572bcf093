import ServiceKit
import Tracing

/// The trace of one message from its `send` (WebSocket frame or REST request) to its answer: a `chat.send` span,
/// child of the connection's or request's span, whose `traceparent` goes into the message's Kafka record so that the
/// fan-out and the notification service continue it.
///
/// Only when tracing is on: off, ``start(in:)`` returns nil at once and a message carries nothing.
struct MessageTrace: Sendable {
    let span: any Span
    /// The record header with the span's `traceparent`.
    let header: (name: String, value: [UInt8])

    /// Starts the trace of a message sent within `parent` (the current span when nil); nil when tracing is off.
    static func start(in parent: ServiceContext? = nil) -> MessageTrace? {
        guard Telemetry.isTracing, let parent = parent ?? ServiceContext.current else { return nil }
        let span = startSpan("chat.send", context: parent, ofKind: .producer)
        guard let traceparent = Telemetry.traceparent(of: span.context) else {
            span.end()
            return nil
        }
        return MessageTrace(span: span, header: (TraceParent.headerName, Array(traceparent.utf8)))
    }

    /// Ends the span with the message's answer.
    func end(_ outcome: Result<StoredMessage, any Error>) {
        switch outcome {
        case .success(let stored):
            span.attributes["chat.seq"] = Int(stored.view.seq)
        case .failure(let error):
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error))
        }
        span.end()
    }
}
