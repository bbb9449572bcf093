import ServiceKit

extension UserCommand {
    /// user's tables in the `identity` database it shares with auth (versions are recorded per service), oldest
    /// first. Versions only grow; an applied migration is never edited, a change is a new migration. Applied by
    /// `user migrate` and at start (CHAT_MIGRATE_ON_START).
    static let migrations: [PostgresMigration] = []
}
