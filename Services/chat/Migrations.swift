import ServiceKit

extension ChatCommand {
    /// The schema of the `chat` database, oldest first. Versions only grow; an applied migration is never edited,
    /// a change is a new migration. Applied by `chat migrate` and at start (CHAT_MIGRATE_ON_START).
    static let migrations: [PostgresMigration] = []
}
