@_exported import ArgumentParser

/// Options every service executable accepts besides `--help` and `--version`.
public struct ServiceOptions: ParsableArguments {
    @Flag(help: "Print every CHAT_* environment variable as a Markdown table and exit.")
    public var printConfigTable = false

    public init() {}
}

/// The command-line entry point of a service: `--help`, `--version`, `--print-config-table`, and without a
/// subcommand, run the service.
///
/// A service declares its name and summary, and composes its routes and components in ``assemble(_:)``.
public protocol ServiceCommand: AsyncParsableCommand {
    static var service: ServiceName { get }
    static var summary: String { get }
    var options: ServiceOptions { get }
    /// Adds routes, dependencies and components to the service before it starts, in the order they should start.
    func assemble(_ assembly: ServiceAssembly) async throws
}

extension ServiceCommand {
    /// The command's help, version and subcommands.
    public static func commandConfiguration(subcommands: [any ParsableCommand.Type] = []) -> CommandConfiguration {
        CommandConfiguration(
            commandName: service.rawValue,
            abstract: summary,
            discussion: """
                Configuration comes from CHAT_* environment variables with defaults for the local stack; \
                --print-config-table lists them. Listens on port \(service.defaultPort) unless CHAT_HTTP_PORT is set. \
                Serves GET /health, GET /ready and GET /metrics; stops gracefully on SIGTERM or SIGINT.
                """,
            version: ProductVersion.current,
            subcommands: subcommands)
    }

    public static var configuration: CommandConfiguration { commandConfiguration() }

    public func run() async throws {
        if options.printConfigTable {
            print(ConfigKey.markdownTable)
            return
        }
        let settings = try Settings(service: Self.service)
        try await ServiceRuntime.run(Self.service, settings: settings) { try await assemble($0) }
    }
}
