import Foundation
import ServiceKit

/// What chat needs to know of users, asked of the user service, which owns that data (its internal API, see
/// `Services/user/InternalRoutes.swift`): who exists and who blocked whom, usernames for @mentions, and whose contact
/// a user is (they see the user's presence).
///
/// Blocks are cached per pair for ``blockCacheLifetime`` for sends into direct conversations, so those do not each
/// cost a call; a new block takes effect within that time. Creating a conversation or adding members asks afresh.
/// Usernames never change, so they are cached longer (bounded in size either way).
final class IdentityDirectory: Sendable {
    static let blockCacheLifetime: Duration = .seconds(2)
    let users: InternalServiceClient
    private let blocks = BoundedCache<String, Bool>(capacity: 100_000, maximumAge: blockCacheLifetime)
    private let usernames = BoundedCache<String, String>(capacity: 200_000, maximumAge: .seconds(3600))

    init(users: InternalServiceClient) { self.users = users }

    /// What the user service says of another user.
    struct Relation: Decodable, Sendable, Equatable {
        let exists: Bool
        /// The other user blocked `userId`.
        let blocked: Bool
    }

    private struct RelationsRequest: Encodable {
        let userId: String
        let others: [String]
    }

    private struct Relations: Decodable {
        let users: [String: Relation]
    }

    /// For each of `others`: whether they exist and whether they blocked `userId`, asked now.
    func relations(of userId: String, to others: [String]) async throws -> [String: Relation] {
        guard !others.isEmpty else { return [:] }
        let answer = try await users.post("/internal/v1/relations", RelationsRequest(userId: userId, others: others), as: Relations.self)
        for (other, relation) in answer.users { blocks.store(relation.blocked, for: "\(other)|\(userId)") }
        return answer.users
    }

    /// Refuses to put `others` into a conversation by `adder` unless every one of them exists (404 otherwise) and none
    /// has blocked the adder (403), asked now; nobody is added when one is refused.
    func requireAddable(_ others: [String], by adder: String) async throws {
        let relations = try await relations(of: adder, to: Array(Set(others)))
        for other in others {
            guard let relation = relations[other], relation.exists else { throw APIError.notFound("no such user: \(other)") }
            if relation.blocked { throw APIError.forbidden("\(other) does not accept conversations with you") }
        }
    }

    /// Whether `blocker` blocked `blocked` (cached for ``blockCacheLifetime``).
    func hasBlocked(_ blocker: String, _ blocked: String) async throws -> Bool {
        if let cached = cachedBlock(blocker, blocked) { return cached }
        return try await relations(of: blocked, to: [blocker])[blocker]?.blocked ?? false
    }

    /// Whether `blocker` blocked `blocked`, if the cache still knows; nil when it must be asked.
    func cachedBlock(_ blocker: String, _ blocked: String) -> Bool? { blocks.value(for: "\(blocker)|\(blocked)") }

    private struct UsernamesRequest: Encodable { let ids: [String] }
    private struct Usernames: Decodable { let usernames: [String: String] }
    private struct Watchers: Decodable { let userIds: [String] }

    /// The users among `userIds` whose username appears as `@username` in `body` (case-insensitive).
    func mentioned(in body: String, among userIds: [String]) async throws -> [String] {
        let names = Self.mentionedNames(in: body)
        guard !names.isEmpty, !userIds.isEmpty else { return [] }
        var known: [String: String] = [:]
        var unknown: [String] = []
        for id in userIds {
            if let name = usernames.value(for: id) { known[id] = name } else { unknown.append(id) }
        }
        if !unknown.isEmpty {
            for (id, name) in try await users.post("/internal/v1/usernames", UsernamesRequest(ids: unknown), as: Usernames.self).usernames {
                usernames.store(name, for: id)
                known[id] = name
            }
        }
        return userIds.filter { known[$0].map { names.contains($0.lowercased()) } ?? false }
    }

    /// Users who have `userId` among their contacts.
    func watchers(of userId: String) async throws -> [String] {
        try await users.get("/internal/v1/users/\(userId)/watchers", as: Watchers.self).userIds
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
}
