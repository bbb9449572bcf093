import ServiceKit

/// The user service: profiles, search, contacts, blocks and presence.
@main
struct UserCommand: ServiceCommand {
    static let service = ServiceName.user
    static let summary = "Serves profiles, user search, contacts, blocks and presence."
    @OptionGroup var options: ServiceOptions

    func assemble(_ assembly: ServiceAssembly) async throws {
        _ = assembly.postgres
        _ = assembly.redis
    }
}
