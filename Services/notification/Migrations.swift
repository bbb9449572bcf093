import ServiceKit

extension NotificationCommand {
    /// The schema of the `notification` database, oldest first. Versions only grow; an applied migration is never edited,
    /// a change is a new migration. Applied by `notification migrate` and at start (CHAT_MIGRATE_ON_START).
    static let migrations: [PostgresMigration] = []
}
