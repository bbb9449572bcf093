import Synchronization

/// One dependency `/ready` must reach, e.g. `postgres` or `redis`.
public struct ReadinessCheck: Sendable {
    /// The dependency's name as reported in a 503.
    public let name: String
    /// Throws when the dependency does not answer correctly.
    public let probe: @Sendable () async throws -> Void

    public init(name: String, probe: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.probe = probe
    }
}

/// The outcome of running every ``ReadinessCheck`` once.
public struct ReadinessReport: Sendable {
    /// Each dependency with `ok` or the reason it failed.
    public let results: [String: String]
    /// Names of the failing dependencies, sorted.
    public var failing: [String] { results.filter { $0.value != "ok" }.map(\.key).sorted() }

    /// Runs all checks concurrently; each must finish within `timeout`.
    public static func run(_ checks: [ReadinessCheck], timeout: Duration) async -> ReadinessReport {
        let results = await withTaskGroup(of: (String, String).self) { group in
            for check in checks {
                group.addTask { (check.name, await outcome(of: check, timeout: timeout)) }
            }
            var results: [String: String] = [:]
            for await (name, result) in group { results[name] = result }
            return results
        }
        return ReadinessReport(results: results)
    }

    /// The probe's result, or a timeout message once `timeout` passed. The probe runs unstructured so that one
    /// stuck in a blocking call on a worker thread cannot hold `/ready` past its deadline; the timer ends as soon as
    /// the probe answers, so nothing outlives the request but a stuck probe.
    private static func outcome(of check: ReadinessCheck, timeout: Duration) async -> String {
        await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            let answer = FirstAnswer(continuation)
            let probe = Task {
                do {
                    try await check.probe()
                    answer.give("ok")
                } catch {
                    answer.give(String(describing: error))
                }
            }
            answer.endWithFirstAnswer(
                Task {
                    try await Task.sleep(for: timeout)
                    answer.give("no answer within \(timeout)")
                    probe.cancel()
                })
        }
    }
}

/// Resumes a continuation with the first answer given and ignores later ones; the first answer also cancels the
/// timer bound to it.
private final class FirstAnswer: Sendable {
    private struct State {
        var continuation: CheckedContinuation<String, Never>?
        var timer: Task<Void, any Error>?
    }

    private let state: Mutex<State>

    init(_ continuation: CheckedContinuation<String, Never>) { state = Mutex(State(continuation: continuation)) }

    func give(_ answer: String) {
        let (continuation, timer) = state.withLock { state in
            defer { state = State() }
            return (state.continuation, state.continuation == nil ? nil : state.timer)
        }
        continuation?.resume(returning: answer)
        timer?.cancel()
    }

    /// Cancels `timer` with the first answer (at once when it was given already).
    func endWithFirstAnswer(_ timer: Task<Void, any Error>) {
        let answered = state.withLock { state in
            if state.continuation == nil { return true }
            state.timer = timer
            return false
        }
        if answered { timer.cancel() }
    }
}
