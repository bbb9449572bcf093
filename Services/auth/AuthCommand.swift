import ServiceKit

/// The auth service: accounts, password checks and tokens.
@main
struct AuthCommand: ServiceCommand {
    static let service = ServiceName.auth
    static let summary = "Registers users, checks passwords and issues access and refresh tokens."
    @OptionGroup var options: ServiceOptions

    func assemble(_ assembly: ServiceAssembly) async throws {
        _ = assembly.postgres
        _ = assembly.redis
    }
}
