import Logging
import ServiceLifecycle
import Synchronization

/// Work a service must finish before it is ready (migrations, indexes), done in the background at start and retried
/// with backoff (200 ms doubling to 10 s) while its dependency cannot be reached, so a database that is not up yet
/// delays readiness instead of failing the start; `/health` answers meanwhile. Add it with
/// ``ServiceAssembly/addStartupStep(_:_:)``, which names it in `/ready` until it is done.
final class StartupStep: Service, Sendable {
    let name: String
    let work: @Sendable () async throws -> Void
    let logger: Logger
    private let done = Atomic<Bool>(false)

    init(name: String, logger: Logger, work: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.work = work
        self.logger = logger
    }

    /// Does the work, then waits for shutdown (a service of the group must not end on its own).
    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var delay = Duration.milliseconds(200)
            while !Task.isCancelled {
                do {
                    try await self.work()
                    self.done.store(true, ordering: .releasing)
                    break
                } catch {
                    self.logger.warning("\(self.name) not done yet; retrying", metadata: ["error": "\(error)"])
                    try await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(10))
                }
            }
        }
        try? await gracefulShutdown()
    }

    /// For `/ready`: fails until the work is done.
    func check() throws {
        guard done.load(ordering: .acquiring) else { throw APIError.unavailable("\(name) not done yet") }
    }
}

extension ServiceAssembly {
    /// Runs `work` in the background at start, retrying until it succeeds; `/ready` fails naming `name` until then.
    public func addStartupStep(_ name: String, _ work: @escaping @Sendable () async throws -> Void) {
        let step = StartupStep(name: name, logger: logger, work: work)
        add(step)
        addReadinessCheck(name) { try step.check() }
    }
}
