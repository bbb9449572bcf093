import Foundation
import HTTPTypes
import NIOWebSocket
import ServiceKit
import Testing

/// The v1.1 session rules over real processes: a WebSocket lives no longer than its access token unless an `auth`
/// frame renews it, a logout closes the sockets of that sign-in on every chat instance, a user holds a bounded number
/// of sockets and shares one send budget across them, and `sync` is bounded. The stack's limits are set low
/// (tokens live 20 s, 3 sockets per user, 10 messages then 1 a second) so that each rule shows within seconds.
@Suite(IdentityServices.Scope(specifications: SessionStack.processes), .timeLimit(.minutes(3)))
struct WebSocketSessionTests {
    let gateway = IdentityHTTP(port: SessionStack.gatewayPort)

    func bearer(_ session: SessionBody) -> [(String, String)] { [("Authorization", "Bearer \(session.accessToken)")] }

    /// A socket through the gateway with `session`'s access token, past its `hello`.
    func connect(_ session: SessionBody) async throws -> WebSocketTestClient {
        let client = try await WebSocketTestClient(
            url: "ws://127.0.0.1:\(SessionStack.gatewayPort)/v1/ws", headers: [.authorization: "Bearer \(session.accessToken)"])
        _ = try await client.next { $0["type"] as? String == "hello" }
        return client
    }

    /// A socket straight to chat instance `instance`, with the identity the gateway would pass for `session`.
    func connect(_ session: SessionBody, instance: Int) async throws -> WebSocketTestClient {
        let client = try await WebSocketTestClient(
            url: "ws://127.0.0.1:\(SessionStack.chatPorts[instance])/v1/ws",
            headers: [IdentitySigner.headerName: IdentityServices.signer.sign(try session.identity, method: .get, path: "/v1/ws")])
        _ = try await client.next { $0["type"] as? String == "hello" }
        return client
    }

    func createGroup(by owner: SessionBody, title: String) async throws -> String {
        let created = try await gateway.send(.POST, "/v1/conversations", json: ["type": "group", "title": title], headers: bearer(owner))
        try #require(created.status == 201, "\(created.body)")
        return try #require(try JSONSerialization.jsonObject(with: Data(created.body.utf8)) as? [String: Any])["id"] as! String
    }

    func isOpen(_ socket: WebSocketTestClient, _ ref: String) async throws -> Bool {
        try await socket.send(json: ["type": "ping", "ref": ref])
        return try await socket.next { $0["type"] as? String == "pong" }["ref"] as? String == ref
    }

    @Test func aSocketLivesUntilItsTokenExpiresUnlessAnAuthFrameRenewsIt() async throws {
        let user = try await gateway.register("expiry")
        let other = try await gateway.register("other")
        let plain = try await connect(user)
        let renewed = try await connect(user)

        // A token of another user, or no valid token at all, is refused and the socket stays open.
        try await renewed.send(json: ["type": "auth", "ref": "a0", "accessToken": other.accessToken])
        let foreign = try await renewed.next { $0["type"] as? String == "error" }
        #expect(foreign["code"] as? String == "unauthorized" && foreign["ref"] as? String == "a0")
        try await renewed.send(json: ["type": "auth", "ref": "a1", "accessToken": "not.a.token"])
        #expect(try await renewed.next { $0["type"] as? String == "error" }["code"] as? String == "unauthorized")

        // Half-way through the token's life, a refreshed token moves the renewed socket's end.
        try await Task.sleep(for: .seconds(SessionStack.accessTokenSeconds / 2))
        let refreshed = try await gateway.send(.POST, "/v1/auth/refresh", json: ["refreshToken": user.refreshToken])
        try #require(refreshed.status == 200, "\(refreshed.body)")
        let fresh: SessionBody = try refreshed.decode()
        try await renewed.send(json: ["type": "auth", "ref": "a2", "accessToken": fresh.accessToken])
        let authenticated = try await renewed.next { $0["type"] as? String == "authenticated" }
        #expect(authenticated["ref"] as? String == "a2")
        let expiresAt = try #require((authenticated["expiresAt"] as? String).flatMap(RFC3339.date(from:)))
        #expect(Int64(expiresAt.timeIntervalSince1970) == (try fresh.identity).expiresAt)

        // The other socket closes with 4001 at its token's expiry; the renewed one is still open then.
        let expired = try await plain.closed(within: .seconds(SessionStack.accessTokenSeconds + 5))
        #expect(expired?.closeCode == .unknown(4001) && expired?.reason == "token expired")
        #expect(try await isOpen(renewed, "after"))
        #expect(try await renewed.closed(within: .seconds(SessionStack.accessTokenSeconds + 5))?.closeCode == .unknown(4001))
    }

    @Test func aLogoutClosesThatSignInsSocketsOnEveryInstanceAndNoOthers() async throws {
        let first = try await gateway.register("logout")
        let login = try await gateway.send(
            .POST, "/v1/auth/login", json: ["username": first.user.username, "password": "correct horse battery"])
        try #require(login.status == 200, "\(login.body)")
        let second: SessionBody = try login.decode()
        let onFirstInstance = try await connect(first, instance: 0)
        let onSecondInstance = try await connect(first, instance: 1)
        let otherSignIn = try await connect(second)

        let started = ContinuousClock.now
        let logout = try await gateway.send(.POST, "/v1/auth/logout", json: ["refreshToken": first.refreshToken], headers: bearer(first))
        #expect(logout.status == 204)
        for socket in [onFirstInstance, onSecondInstance] {
            let closed = try await socket.closed(within: .seconds(5))
            #expect(closed?.closeCode == .unknown(4001) && closed?.reason == "session revoked")
        }
        print("a logout closed the sign-in's sockets on both chat instances in \(ContinuousClock.now - started)")
        #expect(try await isOpen(otherSignIn, "other sign-in"))
        // The revoked sign-in's access token opens nothing any more.
        let again = try await RawHTTP.upgrade(port: SessionStack.gatewayPort, path: "/v1/ws", headers: bearer(first))
        #expect(again.status == 401)
        _ = try await otherSignIn.close()
    }

    @Test func aUserHoldsAtMostTheConfiguredNumberOfSockets() async throws {
        let user = try await gateway.register("sockets")
        var sockets: [WebSocketTestClient] = []
        for _ in 1...SessionStack.socketsPerUser { sockets.append(try await connect(user)) }
        let refused = try await RawHTTP.upgrade(port: SessionStack.gatewayPort, path: "/v1/ws", headers: bearer(user))
        #expect(refused.status == 429 && refused.body.contains(#""code":"rate_limited""#), "\(refused.status) \(refused.body)")
        #expect(refused.headers["retry-after"] != nil)

        // Once one closes, the next upgrade is admitted (the close reaches chat's count a moment later).
        _ = try await sockets.removeLast().close()
        var admitted = false
        for _ in 1...50 where !admitted {
            let attempt = try await RawHTTP.upgrade(port: SessionStack.gatewayPort, path: "/v1/ws", headers: bearer(user))
            admitted = attempt.status == 101
            if !admitted { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(admitted)
        for socket in sockets { _ = try await socket.close() }
    }

    @Test func aUsersSocketsShareOneSendBudget() async throws {
        let user = try await gateway.register("budget")
        let id = try await createGroup(by: user, title: "Budget")
        let sockets = [try await connect(user, instance: 0), try await connect(user, instance: 1)]
        let perSocket = 15
        for (index, socket) in sockets.enumerated() {
            for number in 1...perSocket {
                try await socket.send(json: [
                    "type": "send", "ref": "\(index)-\(number)", "conversationId": id, "clientMessageId": "b\(index)-\(number)", "body": "x",
                ])
            }
        }
        var acked = 0
        var limited = 0
        for socket in sockets {
            for _ in 1...perSocket {
                let answer = try await socket.next { ["ack", "error"].contains($0["type"] as? String) }
                if answer["type"] as? String == "ack" { acked += 1 } else if answer["code"] as? String == "rate_limited" { limited += 1 }
            }
        }
        // One bucket of 10 refilled at 1 a second for both sockets: a bucket per socket would have let 20 or more through.
        #expect(acked >= SessionStack.sendBurst && acked < 2 * SessionStack.sendBurst, "acked \(acked), limited \(limited)")
        #expect(acked + limited == 2 * perSocket, "acked \(acked), limited \(limited)")
        for socket in sockets { #expect(try await isOpen(socket, "still open")) }
    }

    @Test func syncAsksAtMost200ConversationsAndFiveTimesPerTenSeconds() async throws {
        let user = try await gateway.register("syncer")
        let id = try await createGroup(by: user, title: "Sync")
        let socket = try await connect(user)
        var tooMany: [String: Int] = [:]
        for _ in 0...200 { tooMany[UUID().uuidString.lowercased()] = 0 }
        try await socket.send(json: ["type": "sync", "conversations": tooMany])
        #expect(try await socket.next { $0["type"] as? String == "error" }["code"] as? String == "invalid_request")
        for _ in 1...5 {
            try await socket.send(json: ["type": "sync", "conversations": [id: 0]])
            #expect(try await socket.next { ["synced", "error"].contains($0["type"] as? String) }["type"] as? String == "synced")
        }
        try await socket.send(json: ["type": "sync", "conversations": [id: 0]])
        #expect(try await socket.next { ["synced", "error"].contains($0["type"] as? String) }["code"] as? String == "rate_limited")
        _ = try await socket.close()
    }
}

/// Gateway, auth, user and two chat instances with low session limits.
enum SessionStack {
    static let stateDirectory = FileManager.default.temporaryDirectory.appending(path: TestStack.unique("session-state"))
    static let gatewayPort = 18700
    static let chatPorts = [18703, 18704]
    static let accessTokenSeconds = 20
    static let socketsPerUser = 3
    static let sendBurst = 10
    static let chatEnvironment = [
        "CHAT_UPSTREAM_AUTH": "http://127.0.0.1:18701", "CHAT_UPSTREAM_USER": "http://127.0.0.1:18702",
        "CHAT_SOCKETS_PER_USER": String(socketsPerUser), "CHAT_SEND_BUDGET_BURST": String(sendBurst), "CHAT_SEND_BUDGET_PER_SECOND": "1",
    ]
    static let processes: [(name: String, port: Int, environment: [String: String])] = [
        ("auth", 18701, ["CHAT_STATE_DIR": stateDirectory.path, "CHAT_ACCESS_TOKEN_TTL_SECONDS": String(accessTokenSeconds)]),
        ("user", 18702, [:]),
        ("chat", chatPorts[0], chatEnvironment),
        ("chat", chatPorts[1], chatEnvironment),
        (
            "api-gateway", gatewayPort,
            [
                "CHAT_UPSTREAM_AUTH": "http://127.0.0.1:18701", "CHAT_UPSTREAM_USER": "http://127.0.0.1:18702",
                "CHAT_UPSTREAM_CHAT": chatPorts.map { "http://127.0.0.1:\($0)" }.joined(separator: ","),
                "CHAT_UPSTREAM_NOTIFICATION": "http://127.0.0.1:1",
            ]
        ),
    ]
}
