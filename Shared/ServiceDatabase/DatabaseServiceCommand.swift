import Logging
import Postgres
import ServiceKit

@_exported import struct Postgres.PostgresMigration

/// A service with a PostgreSQL database of its own: besides running, `<service> migrate` applies its migrations and
/// exits.
public protocol DatabaseServiceCommand: ServiceCommand {
    /// The schema of the service's database as versioned SQL, oldest first (`Migrations.swift` in the service's
    /// folder). Applied by `<service> migrate`, and at start when ``ConfigKey/migrateOnStart`` is true.
    static var migrations: [PostgresMigration] { get }
}

extension DatabaseServiceCommand {
    public static var configuration: CommandConfiguration { commandConfiguration(subcommands: [MigrateCommand<Self>.self]) }
}

/// `<service> migrate`: applies the service's pending migrations to its database and exits.
public struct MigrateCommand<Service: DatabaseServiceCommand>: AsyncParsableCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "migrate",
            abstract: "Apply the pending PostgreSQL migrations of \(Service.service.rawValue) to its database, then exit.",
            discussion: """
                Each migration runs once, in its own transaction, under an advisory lock: instances migrating \
                together apply it once. Reads CHAT_POSTGRES_URL like the service.
                """)
    }

    public init() {}

    public func run() async throws {
        let settings = try Settings(service: Service.service)
        let logger = ServiceRuntime.bootstrapLogging(Service.service, settings: settings)
        let database = try DatabaseSettings(settings)
        guard let latest = Service.migrations.last else {
            logger.info("no migrations declared")
            return
        }
        let client = PostgresClient(configuration: database.configuration(poolSize: 1), logger: logger)
        let outcome: Result<[Int], any Error>
        do {
            outcome = .success(
                try await PostgresMigrator(
                    client: client, scope: Service.service.rawValue, migrations: Service.migrations, logger: logger
                ).migrate())
        } catch {
            outcome = .failure(error)
        }
        try await client.shutdown()
        let applied = try outcome.get()
        logger.info(
            "migrations up to date",
            metadata: [
                "applied": "\(applied.map(String.init).joined(separator: ","))", "latest": "\(latest.version)",
            ])
    }
}
