import Postgres
import ServiceKit

extension ServiceAssembly {
    /// Adds and returns the pool of the service's own database (readiness check `postgres`: `SELECT 1`), and, when
    /// ``DatabaseSettings/migrateOnStart``, a startup step applying `migrations` under the service's name (readiness
    /// waits for it).
    public func addDatabase(migrations: [PostgresMigration]) throws -> PostgresClient {
        let database = try DatabaseSettings(settings)
        let client = PostgresClient(configuration: database.configuration(), logger: logger("postgres"))
        add(client, readiness: "postgres") { try await client.query("SELECT 1") }
        if database.migrateOnStart && !migrations.isEmpty {
            let migrator = PostgresMigrator(client: client, scope: settings.service.rawValue, migrations: migrations, logger: logger)
            addStartupStep("migrations") { try await migrator.migrate() }
        }
        return client
    }
}
