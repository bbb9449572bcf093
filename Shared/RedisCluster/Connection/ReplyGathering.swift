import NIOCore
import Synchronization

/// Waits for the replies of several pipelined groups (one per node) with a single suspension: the task is resumed
/// once, by whichever event loop completes the last group, instead of once per group.
enum ReplyGathering {
    typealias Outcome = Result<[RESPValue], any Error>

    /// The outcome of every future, in order; nil where there is no future.
    static func results(of futures: [EventLoopFuture<[RESPValue]>?]) async -> [Outcome?] {
        let pending = futures.reduce(0) { $0 + ($1 == nil ? 0 : 1) }
        guard pending > 0 else { return Array(repeating: nil, count: futures.count) }
        return await withCheckedContinuation { continuation in
            let gathered = Gathered(count: futures.count, pending: pending, continuation: continuation)
            for (index, future) in futures.enumerated() {
                future?.whenComplete { gathered.complete(index, with: $0) }
            }
        }
    }

    private final class Gathered: Sendable {
        private let state: Mutex<(outcomes: [Outcome?], pending: Int)>
        private let continuation: CheckedContinuation<[Outcome?], Never>

        init(count: Int, pending: Int, continuation: CheckedContinuation<[Outcome?], Never>) {
            state = Mutex((Array(repeating: nil, count: count), pending))
            self.continuation = continuation
        }

        func complete(_ index: Int, with outcome: Outcome) {
            let finished = state.withLock { state -> [Outcome?]? in
                state.outcomes[index] = outcome
                state.pending -= 1
                return state.pending == 0 ? state.outcomes : nil
            }
            if let finished { continuation.resume(returning: finished) }
        }
    }
}
