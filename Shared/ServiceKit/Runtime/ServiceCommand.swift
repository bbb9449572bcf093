@_exported import ArgumentParser
@_exported import struct Postgres.PostgresMigration

/// Options every service executable accepts besides `--help` and `--version`.
public struct ServiceOptions: ParsableArguments {
    @Flag(help: "Print every CHAT_* environment variable as a Markdown table and exit.")
    public var printConfigTable = false

    public init() {}
}

/// The command-line entry point of a service: `--help`, `--version`, `--print-config-table`, the `migrate`
/// subcommand, and without a subcommand, run the service.
///
/// A service declares its name, summary and database migrations, and wires its routes and dependencies in
/// ``assemble(_:)``.
public protocol ServiceCommand: AsyncParsableCommand {
    static var service: ServiceName { get }
    static var summary: String { get }
    /// The schema of the service's PostgreSQL database as versioned SQL, oldest first (`Migrations.swift` in the
    /// service's folder). Applied by `<service> migrate`, and at start when ``ConfigKey/migrateOnStart`` is true.
    static var migrations: [PostgresMigration] { get }
    var options: ServiceOptions { get }
    /// Adds routes, dependencies and components to the service before it starts.
    func assemble(_ assembly: ServiceAssembly) async throws
}

extension ServiceCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: service.rawValue,
            abstract: summary,
            discussion: """
                Configuration comes from CHAT_* environment variables with defaults for the local stack; \
                --print-config-table lists them. Listens on port \(service.defaultPort) unless CHAT_HTTP_PORT is set. \
                Serves GET /health, GET /ready and GET /metrics; stops gracefully on SIGTERM or SIGINT.
                """,
            version: ProductVersion.current,
            subcommands: [MigrateCommand<Self>.self])
    }

    /// No migrations: a service without a database of its own.
    public static var migrations: [PostgresMigration] { [] }

    public func run() async throws {
        if options.printConfigTable {
            print(ConfigKey.markdownTable)
            return
        }
        let settings = try Settings(service: Self.service)
        try await ServiceRuntime.run(Self.service, settings: settings, migrations: Self.migrations) { try await assemble($0) }
    }
}

/// `<service> migrate`: applies the service's pending migrations to its database and exits.
public struct MigrateCommand<Service: ServiceCommand>: AsyncParsableCommand {
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
        try await ServiceRuntime.migrate(Service.service, settings: settings, migrations: Service.migrations)
    }
}
