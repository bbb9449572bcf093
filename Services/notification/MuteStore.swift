import Postgres

/// The conversations users muted, in `mutes`: a muted conversation gives its muter no notification and no push.
struct MuteStore: Sendable {
    let postgres: PostgresClient

    /// Mutes `conversationId` for `userId` (again is fine).
    func mute(userId: String, conversationId: String) async throws {
        try await postgres.query(
            "INSERT INTO mutes (user_id, conversation_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", [userId, conversationId])
    }

    /// Unmutes `conversationId` for `userId` (not muted is fine).
    func unmute(userId: String, conversationId: String) async throws {
        try await postgres.query("DELETE FROM mutes WHERE user_id = $1 AND conversation_id = $2", [userId, conversationId])
    }
}
