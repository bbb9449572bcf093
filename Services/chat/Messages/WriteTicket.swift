import Metrics
import Synchronization

/// The answer to one message queued with ``MessageWriter/enqueue(_:)``, taken once by its sender: awaited
/// (``value()``, REST) or handed to a callback (``whenAnswered(_:)``, a WebSocket's `ack`, so that no task waits per
/// message).
///
/// Queueing is synchronous and answering is not, so a WebSocket can queue its client's messages in the order they
/// came and answer each when the writer does.
final class WriteTicket: Sendable {
    typealias Outcome = Result<StoredMessage, any Error>

    private enum State {
        case waiting
        case awaited(CheckedContinuation<StoredMessage, any Error>)
        case callback(@Sendable (Outcome) -> Void)
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

    func answer(_ result: Outcome) {
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
        case .callback(let callback): callback(result)
        case .waiting, .answered, .done: break
        }
    }

    /// Calls `callback` with the answer (at once when it is there already).
    func whenAnswered(_ callback: @escaping @Sendable (Outcome) -> Void) {
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
        if let answered { callback(answered) }
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
