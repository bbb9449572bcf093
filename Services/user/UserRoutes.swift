import Hummingbird
import IdentityData
import ServiceKit

/// The `/v1/users` routes of the contract, all behind ``IdentityMiddleware``: profiles, search, contacts, blocks
/// and presence. Unknown users answer 404 `not_found`.
struct UserRoutes: Sendable {
    let profiles: ProfileStore
    let relations: ContactsAndBlocks
    let presence: PresenceStore
    let avatars: AvatarUploads
    let identitySigner: IdentitySigner

    /// `GET /v1/users/{id}`: the user plus `presence`.
    struct UserWithPresence: ResponseEncodable, Sendable {
        let user: UserRecord
        let presence: PresenceBody

        private enum CodingKeys: String, CodingKey { case presence }

        func encode(to encoder: any Encoder) throws {
            try user.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(presence, forKey: .presence)
        }
    }

    /// `{"userId", "status": "online"|"offline", "lastSeenAt"}`, with `null` when never seen.
    struct PresenceBody: ResponseEncodable, Sendable {
        let presence: PresenceStore.Presence

        private enum CodingKeys: String, CodingKey { case userId, status, lastSeenAt }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(presence.userId, forKey: .userId)
            try container.encode(presence.status, forKey: .status)
            try container.encode(presence.lastSeenAt, forKey: .lastSeenAt)
        }
    }

    func add(to router: Router<ServiceRequestContext>) {
        let users = router.group("/v1/users").add(middleware: IdentityMiddleware(signer: identitySigner))
        users.get { request, _ in try await search(request) }
        users.get("me") { _, context in try await existing(try context.requireIdentity().userId) }
        users.patch("me") { request, context in
            let patch = try await request.decode(as: ProfilePatch.self, context: context).validated()
            let userId = try context.requireIdentity().userId
            if case .set(let attachmentId) = patch.avatarAttachmentId { try await avatars.requireOwnImage(attachmentId, of: userId) }
            guard let user = try await profiles.update(id: userId, with: patch) else {
                throw APIError.notFound("no such user")
            }
            return user
        }
        for (path, relation) in [("me/contacts", ContactsAndBlocks.Relation.contacts), ("me/blocks", .blocks)] {
            users.get(RouterPath(path)) { request, context in
                let page = try UserPageRequest(request)
                return try page.page(try await relations.list(relation, owner: try context.requireIdentity().userId, page: page))
            }
            users.put(RouterPath("\(path)/:userId")) { _, context in
                try await relations.add(relation, owner: try context.requireIdentity().userId, other: try context.parameters.require("userId"))
                return Response(status: .noContent)
            }
            users.delete(RouterPath("\(path)/:userId")) { _, context in
                try await relations.remove(relation, owner: try context.requireIdentity().userId, other: try context.parameters.require("userId"))
                return Response(status: .noContent)
            }
        }
        users.get(":id") { _, context in
            let user = try await existing(try context.parameters.require("id"))
            return UserWithPresence(user: user, presence: PresenceBody(presence: try await presence.presence(of: user.id)))
        }
        users.get(":id/presence") { _, context in
            let user = try await existing(try context.parameters.require("id"))
            return PresenceBody(presence: try await presence.presence(of: user.id))
        }
    }

    /// `GET /v1/users?query=<prefix>&limit=&cursor=`: users whose username or display name starts with the query.
    /// A cursor pages the search it came from.
    private func search(_ request: Request) async throws -> Page<UserRecord> {
        let page = try UserPageRequest(request)
        guard let query = (page.cursor?.query ?? request.uri.queryParameters.get("query"))?.trimmingCharacters(in: .whitespaces),
            (1...64).contains(query.count)
        else { throw APIError.invalidRequest("query must be 1–64 characters") }
        return try page.page(try await profiles.search(prefix: query, page: page), query: query)
    }

    private func existing(_ id: String) async throws -> UserRecord {
        guard let user = try await profiles.user(id: id) else { throw APIError.notFound("no such user") }
        return user
    }
}
