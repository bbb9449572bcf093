import IdentityData
import ServiceDatabase

extension AuthCommand {
    /// The schema of the `identity` database, which auth shares with user (``IdentitySchema``). Applied by
    /// `auth migrate` and at start (CHAT_MIGRATE_ON_START).
    static let migrations: [PostgresMigration] = IdentitySchema.migrations
}
