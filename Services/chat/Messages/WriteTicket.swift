import Metrics
import Synchronization

/// The answer to one message queued with ``MessageWriter/enqueue(_:)``, taken once by its sender: awaited
/// (``value()``, REST) or handed to a callback (``whenAnswered(_:)``, a WebSocket's `ack`, so that no task waits per
/// message). A callback queues its frames into the answerer's ``OutboxDrains``: a writer batch's acks and deliveries
/// wake each event loop once and go out in one write per connection.
///
/// Queueing is synchronous and answering is not, so a WebSocket can queue its client's messages in the order they
/// came and answer each when the writer does.
final class WriteTicket: Sendable {
    typealias Outcome = Result<StoredMessage, any Error>

    private enum State {
        case waiting
        case awaited(CheckedContinuation<StoredMessage, any Error>)
        case callback(@Sendable (Outcome, inout OutboxDrains) -> Void)
        case answered(Outcome)
        /// The answer went to its taker.
        case done
    }

    private let state = Mutex(State.waiting)
    /// When the message was queued, for `chat_ack_latency_seconds`.
    private let queuedAt = ContinuousClock.now
    /// The message's trace, ended with the answer.
    private let trace: MessageTrace?

    init(trace: MessageTrace? = nil) {
        self.trace = trace
    }

    /// Answers with `result`; a callback's frames wait in `drains` for the caller to schedule.
    func answer(_ result: Outcome, drains: inout OutboxDrains) {
        let (taker, first) = state.withLock { state -> (State, Bool) in
            switch state {
            case .waiting:
                state = .answered(result)
                return (.waiting, true)
            case .awaited, .callback:
                defer { state = .done }
                return (state, true)
            case .answered, .done:
                return (.done, false)
            }
        }
        if first {
            if case .success = result { ChatMetrics.ackLatency.record(duration: ContinuousClock.now - queuedAt) }
            trace?.end(result)
        }
        switch taker {
        case .awaited(let continuation): continuation.resume(with: result)
        case .callback(let callback): callback(result, &drains)
        case .waiting, .answered, .done: break
        }
    }

    /// Answers with `result`, scheduling a callback's frames at once.
    func answer(_ result: Outcome) {
        var drains = OutboxDrains()
        answer(result, drains: &drains)
        drains.schedule()
    }

    /// Calls `callback` with the answer (at once when it is there already).
    func whenAnswered(_ callback: @escaping @Sendable (Outcome, inout OutboxDrains) -> Void) {
        let answered = state.withLock { state -> Outcome? in
            switch state {
            case .answered(let outcome):
                state = .done
                return outcome
            case .waiting:
                state = .callback(callback)
                return nil
            case .awaited, .callback, .done:
                return nil
            }
        }
        if let answered {
            var drains = OutboxDrains()
            callback(answered, &drains)
            drains.schedule()
        }
    }

    /// The stored message, once the writer answered. A waiter whose task is cancelled stops waiting with
    /// `CancellationError` (the message may still be stored: a retry with the same clientMessageId finds it).
    func value() async throws -> StoredMessage {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let answered = state.withLock { state -> Outcome? in
                    switch state {
                    case .answered(let outcome):
                        state = .done
                        return outcome
                    case .waiting where Task.isCancelled:
                        state = .done
                        return .failure(CancellationError())
                    case .waiting:
                        state = .awaited(continuation)
                        return nil
                    case .awaited, .callback, .done:
                        return .failure(CancellationError())
                    }
                }
                if let answered { continuation.resume(with: answered) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<StoredMessage, any Error>? in
                guard case .awaited(let continuation) = state else { return nil }
                state = .done
                return continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
