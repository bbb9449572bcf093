import Logging
import Postgres
import ServiceLifecycle
import Synchronization

/// Applies the service's pending migrations at start (``ConfigKey/migrateOnStart``), retrying while PostgreSQL
/// cannot be reached, so a database that is not up yet delays readiness (`/ready` names `migrations`) instead of
/// failing the start; `/health` answers meanwhile.
final class StartupMigrations: Service, Sendable {
    let migrator: PostgresMigrator
    let logger: Logger
    private let applied = Atomic<Bool>(false)

    init(migrator: PostgresMigrator, logger: Logger) {
        self.migrator = migrator
        self.logger = logger
    }

    /// Migrates, then waits for shutdown (a service of the group must not end on its own).
    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var delay = Duration.milliseconds(200)
            while !Task.isCancelled {
                do {
                    try await self.migrator.migrate()
                    self.applied.store(true, ordering: .releasing)
                    break
                } catch {
                    self.logger.warning("migrations not applied yet", metadata: ["error": "\(error)"])
                    try await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(10))
                }
            }
        }
        try? await gracefulShutdown()
    }

    /// For `/ready`: fails until every migration is applied.
    func check() throws {
        guard applied.load(ordering: .acquiring) else { throw APIError.unavailable("migrations are not applied yet") }
    }
}
