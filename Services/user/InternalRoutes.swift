import Hummingbird
import Postgres
import ServiceKit

/// What chat asks of the identity data it does not own, under `/internal/v1` (never routed by the gateway; each call
/// carries chat's ``ServiceCredential``):
///
/// - `POST /internal/v1/relations` `{"userId", "others": [id…]}` → `{"users": {"<id>": {"exists", "blocked"}}}`:
///   for each other user, whether they exist and whether they blocked `userId` (direct conversations, sends into
///   them, additions to groups);
/// - `POST /internal/v1/usernames` `{"ids": [id…]}` → `{"usernames": {"<id>": "<username>"}}` (@mentions);
/// - `GET /internal/v1/users/{id}/watchers` → `{"userIds": [id…]}`: who has the user among their contacts (presence).
struct InternalRoutes: Sendable {
    /// The most ids one call may name.
    static let maximumIds = 1000
    let postgres: PostgresClient

    struct RelationsRequest: Decodable {
        let userId: String
        let others: [String]
    }

    struct Relation: Encodable {
        let exists: Bool
        let blocked: Bool
    }

    struct Relations: ResponseEncodable {
        let users: [String: Relation]
    }

    struct UsernamesRequest: Decodable {
        let ids: [String]
    }

    struct Usernames: ResponseEncodable {
        let usernames: [String: String]
    }

    struct Watchers: ResponseEncodable {
        let userIds: [String]
    }

    func add(to router: Router<ServiceRequestContext>, credential: ServiceCredential) {
        let routes = router.group("/internal/v1").add(middleware: ServiceCredentialMiddleware(credential: credential, callers: [.chat]))
        routes.post("relations") { request, context in
            let input = try await request.decode(as: RelationsRequest.self, context: context)
            try Self.checkCount(input.others.count)
            let rows = try await postgres.query(
                """
                SELECT u.id, EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = $1) AS blocked
                FROM users u WHERE u.id = ANY($2::text[])
                """, [input.userId, PostgresArray.literal(input.others)])
            var users = Dictionary(input.others.map { ($0, Relation(exists: false, blocked: false)) }) { first, _ in first }
            for row in rows { users[try row.decode("id")] = Relation(exists: true, blocked: try row.decode("blocked")) }
            return Relations(users: users)
        }
        routes.post("usernames") { request, context in
            let input = try await request.decode(as: UsernamesRequest.self, context: context)
            try Self.checkCount(input.ids.count)
            let rows = try await postgres.query(
                "SELECT id, username FROM users WHERE id = ANY($1::text[])", [PostgresArray.literal(input.ids)])
            return Usernames(usernames: try Dictionary(rows.map { (try $0.decode("id"), try $0.decode("username")) }) { first, _ in first })
        }
        routes.get("users/:id/watchers") { _, context in
            let rows = try await postgres.query(
                "SELECT owner_id FROM contacts WHERE contact_id = $1 LIMIT 10000", [try context.parameters.require("id")])
            return Watchers(userIds: try rows.map { try $0.decode("owner_id") })
        }
    }

    private static func checkCount(_ count: Int) throws {
        guard count <= maximumIds else { throw APIError.invalidRequest("at most \(maximumIds) ids per call") }
    }
}
