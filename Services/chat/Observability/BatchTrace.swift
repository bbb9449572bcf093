import ServiceKit
import Tracing

/// One span per writer batch (`chat.write.batch`), with the stages (``WriteStage``) as its children: the child of
/// the first message whose trace is recorded, linked to the other recorded ones, so that tracing costs a few spans
/// per batch instead of per message.
final class BatchTrace: Sendable {
    /// The most messages a batch span links to.
    static let maximumLinks = 64
    let span: any Span

    /// The trace of a batch of `size` messages with `messages`' traces; nil when tracing is off.
    init?(_ messages: some Sequence<MessageTrace>, size: Int) {
        guard Telemetry.isTracing else { return nil }
        var parent: MessageTrace?
        var linked: [MessageTrace] = []
        for message in messages {
            if parent == nil || (!parent!.span.isRecording && message.span.isRecording) {
                parent = message
            } else if message.span.isRecording, linked.count < Self.maximumLinks {
                linked.append(message)
            }
        }
        span = startSpan("chat.write.batch", context: parent?.span.context ?? .topLevel)
        span.attributes["chat.batch.size"] = size
        for message in linked where message.span.isRecording {
            span.addLink(SpanLink(context: message.span.context, attributes: [:]))
        }
    }

    /// Ends the batch; `error` when it failed as a whole.
    func end(failing error: (any Error)? = nil) {
        if let error {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error))
        }
        span.end()
    }
}
