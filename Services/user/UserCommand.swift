import ServiceKit

/// The user service: profiles, search, contacts, blocks and presence.
@main
struct UserCommand: ServiceCommand {
    static let service = ServiceName.user
    static let summary = "Serves profiles, user search, contacts, blocks and presence."
    @OptionGroup var options: ServiceOptions

    func assemble(_ assembly: ServiceAssembly) async throws {
        UserRoutes(
            profiles: ProfileStore(postgres: assembly.postgres),
            relations: ContactsAndBlocks(postgres: assembly.postgres),
            presence: PresenceStore(redis: assembly.redis),
            identitySigner: try IdentitySigner.configured(assembly.settings, logger: assembly.logger)
        ).add(to: assembly.router)
    }
}
