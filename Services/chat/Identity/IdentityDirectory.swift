import Foundation
import Postgres
import ServiceKit
import Synchronization

/// What chat reads from the identity database (owned by auth and user), read only: who blocked whom, usernames
/// for @mentions, and whose contact a user is (they see the user's presence).
///
/// Blocks are cached per pair for ``blockCacheLifetime``, so a direct conversation's sends do not each cost a
/// query; a new block takes effect within that time.
final class IdentityDirectory: Sendable {
    let postgres: PostgresClient
    static let blockCacheLifetime: Duration = .seconds(2)
    private let blocks = Mutex<[String: (checked: ContinuousClock.Instant, blocked: Bool)]>([:])

    init(postgres: PostgresClient) { self.postgres = postgres }

    /// Whether `blocker` blocked `blocked`.
    func hasBlocked(_ blocker: String, _ blocked: String) async throws -> Bool {
        let key = "\(blocker)|\(blocked)"
        if let cached = blocks.withLock({ $0[key] }), ContinuousClock.now - cached.checked < Self.blockCacheLifetime {
            return cached.blocked
        }
        let rows = try await postgres.query("SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = $2", [blocker, blocked])
        let answer = !rows.isEmpty
        blocks.withLock { cache in
            if cache.count > 100_000 { cache.removeAll() }
            cache[key] = (.now, answer)
        }
        return answer
    }

    /// The users among `userIds` whose username appears as `@username` in `body` (case-insensitive).
    func mentioned(in body: String, among userIds: [String]) async throws -> [String] {
        let names = Self.mentionedNames(in: body)
        guard !names.isEmpty, !userIds.isEmpty else { return [] }
        let rows = try await postgres.query("""
            SELECT id FROM users WHERE id = ANY($1::text[]) AND username_lower = ANY($2::text[])
            """, [Self.textArray(userIds), Self.textArray(Array(names))])
        return rows.compactMap { $0["id"] }
    }

    /// Users who have `userId` among their contacts.
    func watchers(of userId: String) async throws -> [String] {
        try await postgres.query("SELECT owner_id FROM contacts WHERE contact_id = $1 LIMIT 10000", [userId]).compactMap { $0["owner_id"] }
    }

    /// `@name` tokens of a body, lowercased (usernames are 3–32 of `[a-z0-9_.]`).
    static func mentionedNames(in body: String) -> Set<String> {
        var names: Set<String> = []
        var current: String?
        for character in body.lowercased() + " " {
            if character == "@" {
                current = ""
            } else if var name = current {
                if character.isASCII, character.isLetter || character.isNumber || character == "_" || character == "." {
                    name.append(character)
                    current = name
                } else {
                    let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
                    if (3...32).contains(trimmed.count) { names.insert(trimmed) }
                    current = nil
                }
            }
        }
        return names
    }

    private static func textArray(_ values: [String]) -> String { ConversationStore.textArray(values) }
}
