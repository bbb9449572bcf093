import Metrics
import ServiceKit
import Tracing

/// A stage of storing a writer batch: timed in `chat_stage_duration_seconds{stage}` and, when tracing is on, a child
/// span of the batch's (``BatchTrace``).
enum WriteStage: String, CaseIterable, Sendable {
    case seqAllocation = "seq_allocation"
    case documentInsert = "documentdb_insert"
    case kafkaAck = "kafka_ack"
    case postgresUpdate = "postgres_update"

    var timer: Timer { Self.timers[self]! }
    private static let timers = Dictionary(
        uniqueKeysWithValues: allCases.map {
            ($0, Timer(label: "chat_stage_duration_seconds", dimensions: [("stage", $0.rawValue)]))
        })

    /// Runs `body` as this stage of `batch`'s.
    func measure<T>(_ batch: BatchTrace?, _ body: () async throws -> T) async throws -> T {
        let started = DefaultTracerClock.now
        let span = batch.map { startSpan("chat.\(rawValue)", context: $0.span.context, at: started) }
        do {
            let result = try await body()
            finish(span, started: started, error: nil)
            return result
        } catch {
            finish(span, started: started, error: error)
            throw error
        }
    }

    /// Records this stage as having run from `started` until now (`error` when it failed).
    func finish(_ span: (any Span)?, started: DefaultTracerClock.Instant, error: (any Error)?) {
        let ended = DefaultTracerClock.now
        timer.recordNanoseconds(Int64(ended.nanosecondsSinceEpoch) - Int64(started.nanosecondsSinceEpoch))
        guard let span else { return }
        if let error {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error))
        }
        span.end(at: ended)
    }

    /// Starts this stage now, to be finished by ``finish(_:started:error:)`` (a stage that is not one call).
    func start(_ batch: BatchTrace?) -> (span: (any Span)?, started: DefaultTracerClock.Instant) {
        let started = DefaultTracerClock.now
        return (batch.map { startSpan("chat.\(rawValue)", context: $0.span.context, at: started) }, started)
    }
}

extension WriteBatch {
    /// How many of `results` are new messages that Kafka acknowledged (`refused`: indices it did not).
    static func written(_ results: [StoredMessage], refused: Set<Int>) -> Int {
        results.indices.reduce(0) { count, index in
            guard !refused.contains(index), case .created = results[index] else { return count }
            return count + 1
        }
    }
}
