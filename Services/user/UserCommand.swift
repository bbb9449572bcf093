import ServiceDatabase
import ServiceKit

/// The user service: profiles, search, contacts, blocks and presence.
@main
struct UserCommand: DatabaseServiceCommand {
    static let service = ServiceName.user
    static let summary = "Serves profiles, user search, contacts, blocks and presence."
    @OptionGroup var options: ServiceOptions

    /// Start order: the database and Redis, then the HTTP server (which stops first).
    func assemble(_ assembly: ServiceAssembly) async throws {
        let postgres = try assembly.addDatabase(migrations: Self.migrations)
        let redis = assembly.addRedis()
        let signer = try IdentitySigner.configured(assembly.settings, logger: assembly.logger)
        UserRoutes(
            profiles: ProfileStore(postgres: postgres),
            relations: ContactsAndBlocks(postgres: postgres),
            presence: PresenceStore(redis: redis),
            identitySigner: signer
        ).add(to: assembly.router)
        InternalRoutes(postgres: postgres).add(to: assembly.router, credential: ServiceCredential(signer: signer))
    }
}
