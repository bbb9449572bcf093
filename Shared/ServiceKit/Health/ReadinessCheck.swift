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
    /// stuck in a blocking call on a worker thread cannot hold `/ready` past its deadline.
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
            Task {
                try? await Task.sleep(for: timeout)
                answer.give("no answer within \(timeout)")
                probe.cancel()
            }
        }
    }
}

/// Resumes a continuation with the first answer given and ignores later ones.
private final class FirstAnswer: Sendable {
    private let continuation: Mutex<CheckedContinuation<String, Never>?>

    init(_ continuation: CheckedContinuation<String, Never>) { self.continuation = Mutex(continuation) }

    func give(_ answer: String) {
        continuation.withLock { pending in
            pending?.resume(returning: answer)
            pending = nil
        }
    }
}
