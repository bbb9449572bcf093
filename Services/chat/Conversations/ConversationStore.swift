import Foundation
import Postgres
import ServiceKit

/// Conversations and memberships in PostgreSQL.
struct ConversationStore: Sendable {
    let postgres: PostgresClient

    /// A membership row.
    struct Member: Sendable, Equatable {
        let userId: String
        let role: MemberRole
        let joinedAt: Date
        let readSeq: Int64
    }

    /// A conversation row with its members.
    struct Conversation: Sendable {
        let id: String
        let type: ConversationType
        let title: String?
        let createdAt: Date
        let updatedAt: Date
        /// `updated_at` in microseconds since 1970, exact (the order of ``ConversationStore/list(for:limit:after:)``).
        let activity: Int64
        let lastSeq: Int64
        let lastMessage: MessageView?
        let members: [Member]

        func member(_ userId: String) -> Member? { members.first { $0.userId == userId } }

        /// The contract's object as `userId` sees it.
        func view(for userId: String) -> ConversationView {
            let readSeq = member(userId)?.readSeq ?? lastSeq
            return ConversationView(
                id: id, type: type, title: title,
                members: members.map { MemberView(userId: $0.userId, role: $0.role, joinedAt: RFC3339.string(from: $0.joinedAt)) },
                lastSeq: lastSeq, lastMessage: lastMessage, unreadCount: max(0, lastSeq - readSeq),
                createdAt: RFC3339.string(from: createdAt), updatedAt: RFC3339.string(from: updatedAt))
        }
    }

    static func newId() -> String { UUID().uuidString.lowercased() }

    /// The direct conversation of a pair, creating it when there is none; `created` tells which.
    func openDirect(between caller: String, and other: String) async throws -> (Conversation, created: Bool) {
        let key = [caller, other].sorted().joined(separator: ":")
        let id = Self.newId()
        let created = try await postgres.transaction { tx in
            let inserted = try tx.query(
                """
                INSERT INTO conversations (id, type, direct_key, created_by) VALUES ($1, 'direct', $2, $3)
                ON CONFLICT (direct_key) DO NOTHING RETURNING id
                """, [id, key, caller])
            guard !inserted.isEmpty else { return false }
            try tx.query(
                """
                INSERT INTO members (conversation_id, user_id, role) VALUES ($1, $2, 'member'), ($1, $3, 'member')
                """, [id, caller, other])
            return true
        }
        let existing = try await postgres.query("SELECT id FROM conversations WHERE direct_key = $1", [key])
        guard let conversationId = existing.first?["id"], let conversation = try await find(conversationId) else {
            throw APIError.unavailable("the conversation could not be opened")
        }
        return (conversation, created)
    }

    /// Creates a group owned by `owner` with `memberIds`.
    func createGroup(owner: String, title: String, memberIds: [String]) async throws -> Conversation {
        let id = Self.newId()
        let others = Array(Set(memberIds).subtracting([owner])).sorted()
        try await postgres.transaction { tx in
            try tx.query("INSERT INTO conversations (id, type, title, created_by) VALUES ($1, 'group', $2, $3)", [id, title, owner])
            try tx.query("INSERT INTO members (conversation_id, user_id, role) VALUES ($1, $2, 'owner')", [id, owner])
            if !others.isEmpty {
                try tx.query(
                    """
                    INSERT INTO members (conversation_id, user_id, role) SELECT $1, unnest($2::text[]), 'member'
                    """, [id, PostgresArray.literal(others)])
            }
        }
        guard let conversation = try await find(id) else { throw APIError.unavailable("the conversation vanished") }
        return conversation
    }

    /// The columns ``conversations(from:)`` reads, of `conversations c` joined with `members m`.
    private static let columns = """
        c.id, c.type, c.title, c.created_at, c.updated_at, c.last_seq, c.last_message,
        (extract(epoch FROM c.updated_at) * 1000000)::bigint AS activity_us,
        m.user_id, m.role, m.joined_at, m.read_seq
        """

    /// The conversation `id` with its members, or nil.
    func find(_ id: String) async throws -> Conversation? {
        let rows = try await postgres.query(
            """
            SELECT \(Self.columns)
            FROM conversations c JOIN members m ON m.conversation_id = c.id
            WHERE c.id = $1 ORDER BY m.joined_at, m.user_id
            """, [id])
        return try Self.conversations(from: rows).first
    }

    /// Up to `limit` of the conversations `userId` belongs to, most recent activity first (by `updated_at`, then
    /// id), after `position` when given.
    func list(for userId: String, limit: Int, after position: ConversationListPosition?) async throws -> [Conversation] {
        let rows = try await postgres.query(
            """
            WITH mine AS (
                SELECT c.id FROM conversations c JOIN members m ON m.conversation_id = c.id AND m.user_id = $1
                WHERE $3::bigint IS NULL
                   OR (c.updated_at, c.id) < ('epoch'::timestamptz + $3::bigint * interval '1 microsecond', $4::text)
                ORDER BY c.updated_at DESC, c.id DESC LIMIT $2
            )
            SELECT \(Self.columns)
            FROM mine JOIN conversations c ON c.id = mine.id JOIN members m ON m.conversation_id = c.id
            ORDER BY c.updated_at DESC, c.id DESC, m.joined_at, m.user_id
            """, [userId, String(limit), position.map { String($0.activity) }, position?.id])
        return try Self.conversations(from: rows)
    }

    /// Everyone who shares a conversation with `userId` (at most 10,000), for presence announcements.
    func coMembers(of userId: String) async throws -> [String] {
        try await postgres.query(
            """
            SELECT DISTINCT other.user_id FROM members mine
            JOIN members other ON other.conversation_id = mine.conversation_id AND other.user_id <> mine.user_id
            WHERE mine.user_id = $1 LIMIT 10000
            """, [userId]
        ).map { try $0.decode("user_id") }
    }

    func rename(_ id: String, to title: String) async throws {
        try await postgres.query("UPDATE conversations SET title = $2, updated_at = now() WHERE id = $1", [id, title])
    }

    func addMembers(_ id: String, _ userIds: [String]) async throws -> [String] {
        let rows = try await postgres.query(
            """
            INSERT INTO members (conversation_id, user_id, role) SELECT $1, unnest($2::text[]), 'member'
            ON CONFLICT DO NOTHING RETURNING user_id
            """, [id, PostgresArray.literal(userIds)])
        try await postgres.query("UPDATE conversations SET updated_at = now() WHERE id = $1", [id])
        return rows.compactMap { $0["user_id"] }
    }

    func removeMember(_ id: String, _ userId: String) async throws -> Bool {
        let rows = try await postgres.query("DELETE FROM members WHERE conversation_id = $1 AND user_id = $2 RETURNING user_id", [id, userId])
        return !rows.isEmpty
    }

    /// Moves `userId`'s read marker forward to `seq` (never back, never past the last message).
    func markRead(_ id: String, userId: String, seq: Int64) async throws -> Int64? {
        let rows = try await postgres.query(
            """
            UPDATE members m SET read_seq = LEAST($3::bigint, c.last_seq)
            FROM conversations c
            WHERE m.conversation_id = $1 AND m.user_id = $2 AND c.id = m.conversation_id AND m.read_seq < LEAST($3::bigint, c.last_seq)
            RETURNING m.read_seq
            """, [id, userId, String(seq)])
        return try rows.first?.decode("read_seq", as: Int64.self)
    }

    /// Records stored messages: each conversation's last seq and message, and the senders' read markers (own
    /// messages count as read), in one transaction (one commit for both statements).
    func recordStored(_ messages: [MessageView]) async throws {
        var latest: [String: MessageView] = [:]
        var senders: [String: (conversation: String, seq: Int64)] = [:]
        for message in messages {
            if (latest[message.conversationId]?.seq ?? 0) < message.seq { latest[message.conversationId] = message }
            let key = "\(message.conversationId)|\(message.senderId)"
            if (senders[key]?.seq ?? 0) < message.seq { senders[key] = (message.conversationId, message.seq) }
        }
        guard !latest.isEmpty else { return }
        let last = latest.values.sorted { $0.conversationId < $1.conversationId }
        let json = last.map { message in
            var json = JSONWriter(capacity: 384 + message.body.utf8.count)
            message.write(to: &json)
            return String(decoding: json.bytes, as: UTF8.self)
        }
        let keys = senders.keys.sorted()
        let readers = keys.map { String($0.split(separator: "|")[1]) }
        let ordered = keys.compactMap { senders[$0] }
        let lastParameters = [
            PostgresArray.literal(last.map(\.conversationId)), PostgresArray.literal(last.map { String($0.seq) }), PostgresArray.literal(json),
        ]
        let readParameters = [
            PostgresArray.literal(ordered.map(\.conversation)), PostgresArray.literal(readers),
            PostgresArray.literal(ordered.map { String($0.seq) }),
        ]
        try await postgres.transaction { transaction in
            // Rows are locked in id order first: two instances' transactions touch the same conversations, and an
            // UPDATE … FROM locks in join order, which deadlocks two of them.
            try transaction.query(
                """
                WITH locked AS (
                    SELECT id FROM conversations WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE
                )
                UPDATE conversations c SET last_seq = u.seq, last_message = u.message::jsonb, updated_at = now()
                FROM unnest($1::text[], $2::bigint[], $3::text[]) AS u(id, seq, message), locked l
                WHERE c.id = u.id AND l.id = u.id AND c.last_seq < u.seq
                """, lastParameters)
            try transaction.query(
                """
                WITH u AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(id, user_id, seq)),
                locked AS (
                    SELECT m.conversation_id, m.user_id FROM members m JOIN u ON m.conversation_id = u.id AND m.user_id = u.user_id
                    ORDER BY m.conversation_id, m.user_id FOR UPDATE OF m
                )
                UPDATE members m SET read_seq = u.seq
                FROM u JOIN locked l ON l.conversation_id = u.id AND l.user_id = u.user_id
                WHERE m.conversation_id = u.id AND m.user_id = u.user_id AND m.read_seq < u.seq
                """, readParameters)
        }
    }

    private static func conversations(from rows: [PostgresRow]) throws -> [Conversation] {
        var order: [String] = []
        var byId: [String: (first: PostgresRow, members: [Member])] = [:]
        for row in rows {
            let id: String = try row.decode("id")
            let member = Member(
                userId: try row.decode("user_id"), role: try decodeEnum(row, "role"),
                joinedAt: try row.decode("joined_at", as: Date.self), readSeq: try row.decode("read_seq", as: Int64.self))
            if byId[id] == nil {
                order.append(id)
                byId[id] = (row, [member])
            } else {
                byId[id]?.members.append(member)
            }
        }
        return try order.compactMap { id in
            guard let (row, members) = byId[id] else { return nil }
            return Conversation(
                id: id, type: try decodeEnum(row, "type"), title: row["title"],
                createdAt: try row.decode("created_at", as: Date.self), updatedAt: try row.decode("updated_at", as: Date.self),
                activity: try row.decode("activity_us", as: Int64.self),
                lastSeq: try row.decode("last_seq", as: Int64.self),
                lastMessage: try row["last_message"].map { try JSONDecoder().decode(MessageView.self, from: Data($0.utf8)) },
                members: members)
        }
    }

    /// The value of a text column that holds one of an enum's raw values (the table's CHECK constraint says which).
    private static func decodeEnum<Value: RawRepresentable>(_ row: PostgresRow, _ column: String) throws -> Value where Value.RawValue == String {
        let text: String = try row.decode(column)
        guard let value = Value(rawValue: text) else {
            throw PostgresError(kind: .decoding, message: "\(column) holds \(text), not a \(Value.self)")
        }
        return value
    }
}
