import Logging
import ServiceKit
import ServiceLifecycle
import Synchronization

/// Creates the message store's indexes at start, retrying until DocumentDB answers, so a store that is not up
/// yet delays readiness instead of failing the start. Chat is not ready until the unique indexes exist: without
/// them neither seq uniqueness nor idempotent sends would hold.
final class MessageIndexes: Service, Sendable {
    let store: MessageStore
    let logger: Logger
    private let created = Atomic<Bool>(false)

    init(store: MessageStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Creates the indexes, then waits for shutdown (a service of the group must not end on its own).
    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var delay = Duration.milliseconds(100)
            while !Task.isCancelled {
                do {
                    try await self.store.createIndexes()
                    self.created.store(true, ordering: .releasing)
                    break
                } catch {
                    self.logger.warning("cannot create the message indexes yet", metadata: ["error": "\(error)"])
                    try await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(5))
                }
            }
        }
        try? await gracefulShutdown()
    }

    /// For `/ready`: fails until the indexes exist.
    func check() throws {
        guard created.load(ordering: .acquiring) else { throw APIError.unavailable("the message indexes are not created yet") }
    }
}
