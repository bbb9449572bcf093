import Synchronization
import Tracing

/// A tracer that samples by ratio (its base decides, parent-based) and still exports every span that fails.
///
/// The base tracer makes the decision when a span starts, before anyone knows whether it will fail; a span it did not
/// sample records nothing. This wrapper remembers of such a span only its name, kind, start and the errors recorded
/// on it; when it ends with an error (``Span/recordError(_:attributes:at:)`` or an error status) it is started again,
/// sampled, in the same trace (the trace id its log lines carry) as a child of the unsampled span, and ended with the
/// same times and errors. Spans of sampled traces pass through unchanged, apart from this wrapper's one allocation.
public struct ErrorKeepingTracer<Base: Tracer>: Tracer {
    public typealias Span = ErrorKeepingSpan<Base>
    let base: Base

    public init(_ base: Base) { self.base = base }

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> ServiceContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> ErrorKeepingSpan<Base> {
        let start = instant()
        let span = base.startSpan(
            operationName, context: context(), ofKind: kind, at: start, function: function, file: fileID, line: line)
        return ErrorKeepingSpan(span, name: operationName, tracer: base, kind: kind, start: start.nanosecondsSinceEpoch)
    }

    /// Required by `LegacyTracer`; the OTel backend exports through its own service, so there is nothing to flush.
    public func forceFlush() {}

    public func extract<Carrier, Extract>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract: Extractor, Extract.Carrier == Carrier {
        base.extract(carrier, into: &context, using: extractor)
    }

    public func inject<Carrier, Inject>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject: Injector, Inject.Carrier == Carrier {
        base.inject(context, into: &carrier, using: injector)
    }
}

/// A span of ``ErrorKeepingTracer``: the base tracer's span, and for one it did not sample, what exporting it after
/// an error takes.
public final class ErrorKeepingSpan<Base: Tracer>: Tracing.Span, Sendable {
    private let base: Base.Span
    private let tracer: Base
    private let kind: SpanKind
    private let start: UInt64
    /// Of an unsampled span (which keeps nothing itself): its name, the errors recorded and whether its status became
    /// an error.
    private let failure: Mutex<(name: String, errors: [(any Error, UInt64)], status: SpanStatus?)>

    init(_ base: Base.Span, name: String, tracer: Base, kind: SpanKind, start: UInt64) {
        self.base = base
        self.failure = Mutex((name, [], nil))
        self.tracer = tracer
        self.kind = kind
        self.start = start
    }

    public var context: ServiceContext { base.context }

    public var operationName: String {
        get { base.isRecording ? base.operationName : failure.withLock { $0.name } }
        set {
            if !base.isRecording { failure.withLock { $0.name = newValue } }
            base.operationName = newValue
        }
    }

    public var attributes: SpanAttributes {
        get { base.attributes }
        set { base.attributes = newValue }
    }

    public var isRecording: Bool { base.isRecording }

    public func setStatus(_ status: SpanStatus) {
        if !base.isRecording, status.code == .error { failure.withLock { $0.status = status } }
        base.setStatus(status)
    }

    public func addEvent(_ event: SpanEvent) { base.addEvent(event) }

    public func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {
        let at = instant()
        if !base.isRecording { failure.withLock { $0.errors.append((error, at.nanosecondsSinceEpoch)) } }
        base.recordError(error, attributes: attributes, at: at)
    }

    public func addLink(_ link: SpanLink) { base.addLink(link) }

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let end = instant()
        base.end(at: end)
        guard !base.isRecording else { return }
        let (name, errors, status) = failure.withLock { $0 }
        guard !errors.isEmpty || status != nil, let parent = Self.sampledCopy(of: base.context, tracer: tracer) else { return }
        let copy = tracer.startSpan(name, context: parent, ofKind: kind, at: TraceInstant(nanosecondsSinceEpoch: start))
        for (error, at) in errors { copy.recordError(error, attributes: [:], at: TraceInstant(nanosecondsSinceEpoch: at)) }
        copy.setStatus(status ?? SpanStatus(code: .error))
        copy.end(at: end)
    }

    /// `context` with its span marked sampled, as a remote parent.
    private static func sampledCopy(of context: ServiceContext, tracer: Base) -> ServiceContext? {
        var carrier: [String: String] = [:]
        tracer.inject(context, into: &carrier, using: DictionaryCarrier())
        guard let traceparent = carrier[TraceParent.headerName], let parsed = TraceParent(traceparent) else { return nil }
        var sampled = ServiceContext.topLevel
        tracer.extract([TraceParent.headerName: parsed.sampled.description], into: &sampled, using: DictionaryCarrier())
        return sampled
    }
}

/// A point in time given in nanoseconds since 1970.
struct TraceInstant: TracerInstant {
    let nanosecondsSinceEpoch: UInt64

    static func < (lhs: TraceInstant, rhs: TraceInstant) -> Bool { lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch }
}
