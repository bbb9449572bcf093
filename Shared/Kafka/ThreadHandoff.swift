import Synchronization

/// A value a dedicated thread hands to the task that waits for it, once: ``give(_:)`` from the thread,
/// ``value()`` from the task, in either order.
final class ThreadHandoff<Value: Sendable>: Sendable {
    private enum State {
        case empty
        case waiting(CheckedContinuation<Value, Never>)
        case given(Value)
    }

    private let state = Mutex(State.empty)

    /// Hands `value` over; a second call is ignored.
    func give(_ value: Value) {
        let waiter = state.withLock { state -> CheckedContinuation<Value, Never>? in
            switch state {
            case .empty:
                state = .given(value)
                return nil
            case .waiting(let continuation):
                state = .given(value)
                return continuation
            case .given:
                return nil
            }
        }
        waiter?.resume(returning: value)
    }

    /// The value, once given.
    func value() async -> Value {
        await withCheckedContinuation { continuation in
            let given = state.withLock { state -> Value? in
                if case .given(let value) = state { return value }
                state = .waiting(continuation)
                return nil
            }
            if let given { continuation.resume(returning: given) }
        }
    }
}
