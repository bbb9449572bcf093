import Foundation
import HTTPTypes
import IdentityData
import NIOHTTP1
import ServiceKit
import Testing

/// The real `user` executable (with `auth` to register users) against the local stack, called directly with the
/// identity the gateway would sign.
@Suite(
    .timeLimit(.minutes(5)),
    IdentityServices.Scope(specifications: [
        ("auth", 18186, [:]), ("user", 18182, ["CHAT_UPSTREAM_CHAT": "http://127.0.0.1:1"]),
    ]))
struct UserServiceTests {
    let auth: IdentityHTTP
    let user: IdentityHTTP

    init() throws {
        auth = try IdentityServices.running.client("auth")
        user = try IdentityServices.running.client("user")
    }

    @Test func profileIsThereTheMomentRegisterReturns() async throws {
        let session = try await auth.register("fresh", displayName: "Fresh Face")
        let me = try await user.send(.GET, "/v1/users/me", identity: try session.identity)
        #expect(me.status == 200)
        #expect(try me.decode(UserRecord.self) == session.user)
        #expect(session.user.displayName == "Fresh Face")
        #expect(me.body.contains(#""bio":null"#) && me.body.contains(#""avatarUrl":null"#))
    }

    @Test func patchChangesOnlyTheGivenFieldsWithinTheLimits() async throws {
        let session = try await auth.register("patch")
        let identity = try session.identity
        func patch(_ body: String) async throws -> IdentityHTTP.Reply {
            try await user.send(.PATCH, "/v1/users/me", body: body, identity: identity)
        }

        let named = try await patch(#"{"displayName":"  New Name  ","bio":"hello there"}"#)
        #expect(named.status == 200)
        var record = try named.decode(UserRecord.self)
        #expect(record.displayName == "New Name" && record.bio == "hello there" && record.username == session.user.username)

        #expect(try await patch("{}").decode(UserRecord.self) == record)
        // An avatar must be an image the user uploaded, which only chat can say: without chat, 503 and nothing changes.
        let withoutChat = try await patch(#"{"bio":"changed","avatarAttachmentId":"0b7c2f1e-0000-4000-8000-000000000000"}"#)
        #expect(withoutChat.status == 503 && withoutChat.errorCode == "unavailable", "\(withoutChat.body)")
        #expect(try await user.send(.GET, "/v1/users/me", identity: identity).decode(UserRecord.self).bio == "hello there")
        record = try await patch(#"{"bio":null,"avatarAttachmentId":null}"#).decode(UserRecord.self)
        #expect(record.bio == nil && record.displayName == "New Name")
        record = try await patch(#"{"bio":"   "}"#).decode(UserRecord.self)
        #expect(record.bio == nil)

        let longest = try await patch(#"{"displayName":"\#(String(repeating: "n", count: 64))","bio":"\#(String(repeating: "b", count: 500))"}"#)
        #expect(longest.status == 200)
        #expect(try await user.send(.GET, "/v1/users/me", identity: identity).decode(UserRecord.self) == longest.decode(UserRecord.self))

        for body in [
            #"{"displayName":""}"#, #"{"displayName":"   "}"#, #"{"displayName":null}"#, #"{"displayName":5}"#,
            #"{"displayName":"\#(String(repeating: "n", count: 65))"}"#, #"{"bio":"\#(String(repeating: "b", count: 501))"}"#,
            #"{"bio":"bell \u0007"}"#, #"{"avatarAttachmentId":"not an id!"}"#, #"{"avatarAttachmentId":""}"#,
            "{", "[]", "",
        ] {
            let reply = try await patch(body)
            #expect(reply.status == 400 && reply.errorCode == "invalid_request", "\(body) → \(reply.status) \(reply.body)")
        }
    }

    @Test func userByIdCarriesPresenceFromRedis() async throws {
        let watched = try await auth.register("watched")
        let watcher = try await auth.register("watcher")
        let identity = try watcher.identity

        struct WithPresence: Decodable {
            let id: String
            let username: String
            let presence: Presence
        }
        struct Presence: Decodable, Equatable {
            let userId: String
            let status: String
            let lastSeenAt: String?
        }

        let offline = try await user.send(.GET, "/v1/users/\(watched.user.id)", identity: identity)
        #expect(offline.status == 200)
        #expect(try offline.decode(UserRecord.self) == watched.user)
        #expect(try offline.decode(WithPresence.self).presence == Presence(userId: watched.user.id, status: "offline", lastSeenAt: nil))
        #expect(offline.body.contains(#""lastSeenAt":null"#))

        let redis = RedisTestCluster.main.client()
        let presence = PresenceStore(redis: redis)
        try await presence.connected(userId: watched.user.id, connectionId: "test-connection")
        let online = try await user.send(.GET, "/v1/users/\(watched.user.id)/presence", identity: identity).decode(Presence.self)
        #expect(online.status == "online" && online.lastSeenAt != nil)
        #expect(try await user.send(.GET, "/v1/users/\(watched.user.id)", identity: identity).decode(WithPresence.self).presence == online)

        try await presence.disconnected(userId: watched.user.id, connectionId: "test-connection")
        let gone = try await user.send(.GET, "/v1/users/\(watched.user.id)/presence", identity: identity)
        #expect(gone.status == 200)
        let after = try gone.decode(Presence.self)
        #expect(after.status == "offline" && after.lastSeenAt != nil)
        await redis.close()

        for path in ["/v1/users/no-such-user", "/v1/users/no-such-user/presence"] {
            let reply = try await user.send(.GET, path, identity: identity)
            #expect(reply.status == 404 && reply.errorCode == "not_found", "\(path)")
        }
    }

    @Test func searchMatchesUsernameOrDisplayNamePrefixesIgnoringCaseAndPages() async throws {
        let prefix = "s" + UUID().uuidString.prefix(8).lowercased()
        let alpha = try await auth.register("\(prefix.uppercased())_Alpha")
        let beta = try await auth.register("\(prefix)_beta")
        let gamma = try await auth.register("\(prefix)xgamma")
        let byDisplayName = try await auth.register("other", displayName: "\(prefix.uppercased()) Display")
        _ = try await auth.register("unrelated", displayName: "Not \(prefix)")
        let identity = try alpha.identity
        let expected = [alpha, beta, gamma, byDisplayName].map(\.user).sorted { $0.username.lowercased() < $1.username.lowercased() }

        func search(_ query: String) async throws -> IdentityHTTP.Reply {
            try await user.send(.GET, "/v1/users?\(query)", identity: identity)
        }
        struct Page: Decodable {
            let items: [UserRecord]
            let nextCursor: String?
        }

        let all = try await search("query=\(prefix.uppercased())")
        #expect(all.status == 200)
        #expect(try all.decode(Page.self).items == expected)
        #expect(all.body.contains(#""nextCursor":null"#))

        let first = try await search("query=\(prefix)&limit=3").decode(Page.self)
        #expect(first.items == Array(expected.prefix(3)))
        let cursor = try #require(first.nextCursor)
        let second = try await search("query=\(prefix)&limit=3&cursor=\(cursor)").decode(Page.self)
        #expect(second.items == Array(expected.dropFirst(3)) && second.nextCursor == nil)
        // The cursor carries the search: followed alone, or beside another query, it pages the same search.
        #expect(try await search("limit=3&cursor=\(cursor)").decode(Page.self).items == second.items)
        #expect(try await search("query=zzz&limit=3&cursor=\(cursor)").decode(Page.self).items == second.items)

        // LIKE's wildcards are taken literally.
        #expect(try await search("query=\(prefix)_").decode(Page.self).items.map(\.id).sorted() == [alpha, beta].map(\.user.id).sorted())
        #expect(try await search("query=\(prefix)%25").decode(Page.self).items.isEmpty)

        for query in [
            "", "query=", "query=%20", "query=\(prefix)&limit=0", "query=\(prefix)&limit=201", "query=\(prefix)&limit=ten",
            "query=\(prefix)&cursor=%%%",
        ] {
            let reply = try await search(query)
            #expect(reply.status == 400 && reply.errorCode == "invalid_request", "\(query) → \(reply.status) \(reply.body)")
        }
    }

    @Test(arguments: ["contacts", "blocks"])
    func contactsAndBlocksAreSetsOfOtherUsers(_ relation: String) async throws {
        let owner = try await auth.register("owner")
        let first = try await auth.register("aa_\(relation)")
        let second = try await auth.register("bb_\(relation)")
        let identity = try owner.identity
        let base = "/v1/users/me/\(relation)"
        struct Page: Decodable {
            let items: [UserRecord]
            let nextCursor: String?
        }

        #expect(try await user.send(.GET, base, identity: identity).decode(Page.self).items.isEmpty)
        for other in [second, first, second] {
            let reply = try await user.send(.PUT, "\(base)/\(other.user.id)", identity: identity)
            #expect(reply.status == 204 && reply.body.isEmpty)
        }
        let listed = try await user.send(.GET, base, identity: identity).decode(Page.self)
        #expect(listed.items == [first.user, second.user] && listed.nextCursor == nil)
        let paged = try await user.send(.GET, "\(base)?limit=1", identity: identity).decode(Page.self)
        #expect(paged.items == [first.user])
        let rest = try await user.send(.GET, "\(base)?limit=1&cursor=\(try #require(paged.nextCursor))", identity: identity).decode(Page.self)
        #expect(rest.items == [second.user] && rest.nextCursor == nil)
        let followedAlone = try await user.send(.GET, "\(base)?cursor=\(try #require(paged.nextCursor))", identity: identity)
        #expect(try followedAlone.decode(Page.self).items == [second.user])
        // The set is the owner's alone.
        #expect(try await user.send(.GET, base, identity: try first.identity).decode(Page.self).items.isEmpty)

        for _ in 0..<2 {
            #expect(try await user.send(.DELETE, "\(base)/\(first.user.id)", identity: identity).status == 204)
        }
        #expect(try await user.send(.GET, base, identity: identity).decode(Page.self).items == [second.user])

        for method in [HTTPMethod.PUT, .DELETE] {
            let unknown = try await user.send(method, "\(base)/no-such-user", identity: identity)
            #expect(unknown.status == 404 && unknown.errorCode == "not_found")
        }
        let oneself = try await user.send(.PUT, "\(base)/\(owner.user.id)", identity: identity)
        #expect(oneself.status == 400 && oneself.errorCode == "invalid_request")
        let badLimit = try await user.send(.GET, "\(base)?limit=500", identity: identity)
        #expect(badLimit.status == 400)
    }

    @Test func everyRouteRequiresAVerifiedIdentity() async throws {
        let session = try await auth.register("guarded")
        let identity = try session.identity
        let signer = IdentityServices.signer
        let expired = VerifiedIdentity(
            userId: identity.userId, username: identity.username, tokenId: identity.tokenId,
            expiresAt: Int64(Date().timeIntervalSince1970) - 1, familyId: nil)
        let someoneElse = VerifiedIdentity(userId: "someone-else", username: "someone", tokenId: "x", expiresAt: identity.expiresAt, familyId: nil)
        let routes: [(HTTPMethod, String)] = [
            (.GET, "/v1/users/me"), (.PATCH, "/v1/users/me"), (.GET, "/v1/users?query=a"), (.GET, "/v1/users/\(identity.userId)"),
            (.GET, "/v1/users/\(identity.userId)/presence"), (.GET, "/v1/users/me/contacts"), (.PUT, "/v1/users/me/blocks/x"),
        ]
        for (method, path) in routes {
            let signedMethod = try #require(HTTPRequest.Method(method.rawValue))
            let signedPath = String(path.split(separator: "?").first ?? "")
            let parts = signer.sign(identity, method: signedMethod, path: signedPath).split(separator: ".").map(String.init)
            let otherPayload = signer.sign(someoneElse, method: signedMethod, path: signedPath).split(separator: ".")[1]
            let refused: [(String, [(String, String)])] = [
                ("none", []),
                (
                    "another secret",
                    [
                        (
                            "X-Chat-Identity",
                            try IdentitySigner(secret: String(repeating: "z", count: 48)).sign(
                                identity, method: signedMethod, path: signedPath)
                        )
                    ]
                ),
                ("expired", [("X-Chat-Identity", signer.sign(expired, method: signedMethod, path: signedPath))]),
                ("unsigned", [("X-Chat-Identity", "v1.\(parts[1]).")]),
                ("tampered", [("X-Chat-Identity", "v1.\(otherPayload).\(parts[2])")]),
                ("another route's", [("X-Chat-Identity", signer.sign(identity, method: signedMethod, path: "/v1/users/elsewhere"))]),
                ("bearer token instead", [("Authorization", "Bearer \(session.accessToken)")]),
            ]
            for (name, headers) in refused {
                let reply = try await user.send(method, path, body: method == .PATCH ? "{}" : nil, headers: headers)
                #expect(reply.status == 401 && reply.errorCode == "unauthorized", "\(name): \(method) \(path)")
            }
        }
        #expect(try await user.send(.GET, "/v1/users/me", identity: identity).status == 200)
    }
}
