import Synchronization

/// Waits for the replies of several pipelined groups (one per node) with a single suspension: the connections'
/// handlers complete the groups directly, and the task is resumed once, by whichever event loop completes the last
/// group, instead of once per group and without a future per group.
final class ReplyGathering: Sendable {
    typealias Outcome = Result<[RESPValue], any Error>

    /// Each group's outcome once known (nil inside: not sent), and how many groups are still unknown.
    private let state: Mutex<(outcomes: [Outcome??], pending: Int)>
    private let continuation: UnsafeContinuation<[Outcome?], Never>

    private init(count: Int, continuation: UnsafeContinuation<[Outcome?], Never>) {
        state = Mutex((Array(repeating: nil, count: count), count))
        self.continuation = continuation
    }

    /// Runs `start`, which must lead to exactly one ``complete(_:with:)`` per group it returns true for (it returns
    /// false for a group it did not send), and returns every group's outcome in order: nil for a group not sent.
    static func gather(_ count: Int, start: (_ group: Int, _ gathering: ReplyGathering) -> Bool) async -> [Outcome?] {
        guard count > 0 else { return [] }
        return await withUnsafeContinuation { continuation in
            let gathering = ReplyGathering(count: count, continuation: continuation)
            for group in 0..<count where !start(group, gathering) { gathering.skip(group) }
        }
    }

    /// Records the outcome of `group`; only its first outcome counts (a failed write and the closing connection
    /// may both report one).
    func complete(_ group: Int, with outcome: Outcome) {
        finish(group, outcome)
    }

    private func skip(_ group: Int) {
        finish(group, nil)
    }

    private func finish(_ group: Int, _ outcome: Outcome?) {
        let finished = state.withLock { state -> [Outcome?]? in
            guard case .none = state.outcomes[group] else { return nil }
            state.outcomes[group] = .some(outcome)
            state.pending -= 1
            return state.pending == 0 ? state.outcomes.map { $0 ?? nil } : nil
        }
        if let finished { continuation.resume(returning: finished) }
    }
}
