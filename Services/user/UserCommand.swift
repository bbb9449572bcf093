import ServiceDatabase
import ServiceKit

/// The user service: profiles, search, contacts, blocks and presence.
@main
struct UserCommand: DatabaseServiceCommand {
    static let service = ServiceName.user
    static let summary = "Serves profiles, user search, contacts, blocks and presence."
    @OptionGroup var options: ServiceOptions

    /// Start order: the HTTP client, the database and Redis, then the HTTP server (which stops first).
    func assemble(_ assembly: ServiceAssembly) async throws {
        let http = assembly.addHTTPClient()
        let postgres = try assembly.addDatabase(migrations: Self.migrations)
        let redis = assembly.addRedis()
        let signer = try IdentitySigner.configured(assembly.settings, logger: assembly.logger)
        let chat = InternalServiceClient(
            caller: .user, pool: UpstreamPool(service: .chat, instances: assembly.settings.upstreams[.chat] ?? []), http: http,
            credential: ServiceCredential(signer: signer))
        UserRoutes(
            profiles: ProfileStore(postgres: postgres),
            relations: ContactsAndBlocks(postgres: postgres),
            presence: PresenceStore(redis: redis),
            avatars: AvatarUploads(chat: chat),
            identitySigner: signer
        ).add(to: assembly.router)
        InternalRoutes(postgres: postgres).add(to: assembly.router, credential: ServiceCredential(signer: signer))
    }
}
