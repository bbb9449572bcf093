import Synchronization

/// The answer to one message queued with ``MessageWriter/enqueue(_:)``, awaited once by its sender.
///
/// Queueing is synchronous and answering is not, so a WebSocket can queue its client's messages in the order they
/// came and await the acks while it reads the next frames.
final class WriteTicket: Sendable {
    private enum State {
        case waiting(CheckedContinuation<StoredMessage, any Error>?)
        case answered(Result<StoredMessage, any Error>)
    }

    private let state = Mutex(State.waiting(nil))

    func answer(_ result: Result<StoredMessage, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<StoredMessage, any Error>? in
            guard case .waiting(let waiter) = state else { return nil }
            state = .answered(result)
            return waiter
        }
        waiter?.resume(with: result)
    }

    /// The stored message, once the writer answered. A waiter whose task is cancelled stops waiting with
    /// `CancellationError` (the message may still be stored: a retry with the same clientMessageId finds it).
    func value() async throws -> StoredMessage {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let answered = state.withLock { state -> Result<StoredMessage, any Error>? in
                    switch state {
                    case .answered(let result): return result
                    case .waiting where Task.isCancelled: return .failure(CancellationError())
                    case .waiting: state = .waiting(continuation); return nil
                    }
                }
                if let answered { continuation.resume(with: answered) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<StoredMessage, any Error>? in
                guard case .waiting(let waiter) = state else { return nil }
                state = .waiting(nil)
                return waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
