import IdentityData
import ServiceDatabase

extension UserCommand {
    /// The schema of the `identity` database, which user shares with auth (``IdentitySchema``). Applied by
    /// `user migrate` and at start (CHAT_MIGRATE_ON_START).
    static let migrations: [PostgresMigration] = IdentitySchema.migrations
}
