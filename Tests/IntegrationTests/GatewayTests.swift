import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import JWTKit
import NIOCore
import NIOHTTP1
import NIOWebSocket
import RedisCluster
import ServiceKit
import Synchronization
import Testing

/// The api-gateway binary in front of a ``TestUpstream``: routing, token checks, the signed identity, limits,
/// streaming, upstream failures and WebSocket relaying. Two gateway instances share the rate limits.
@Suite(.timeLimit(.minutes(5)), .serialized) final class GatewayTests {
    let upstream = TestUpstream()
    var gateways: [ServiceProcess] = []
    /// The ``upstream``'s base URL.
    var upstreamBase = ""
    let key = try! EdDSA.PrivateKey()
    let signer = try! IdentitySigner(secret: TestStack["CHAT_INTERNAL_SECRET"])
    static let ports = [18280, 18281]

    init() async throws {
        upstream.signingKeys.withLock { $0 = [("key-1", key)] }
        let port = try await upstream.start()
        let base = "http://127.0.0.1:\(port)"
        upstreamBase = base
        gateways = try Self.ports.map { gatewayPort in
            try ServiceProcess(
                "api-gateway", port: gatewayPort,
                environment: [
                    "CHAT_UPSTREAM_AUTH": base, "CHAT_UPSTREAM_USER": "http://127.0.0.1:1,\(base)", "CHAT_UPSTREAM_CHAT": base,
                    "CHAT_UPSTREAM_NOTIFICATION": "http://127.0.0.1:1",
                    "CHAT_RATE_LIMIT_PER_USER": "5", "CHAT_MAX_BODY_BYTES": "65536", "CHAT_UPSTREAM_TIMEOUT_MS": "3000",
                    "CHAT_CORS_ORIGINS": "https://app.example",
                    "CHAT_WEB_ROOT": TestStack.repositoryRoot.appending(path: "Services/api-gateway/Public").path,
                ])
        }
        for gateway in gateways { try await gateway.waitFor("/health", status: 200) }
    }

    deinit { upstream.stop() }

    // MARK: Helpers

    func token(
        user: String = UUID().uuidString, key: EdDSA.PrivateKey? = nil, kid: String = "key-1",
        expiresIn: TimeInterval = 900
    ) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(eddsa: key ?? self.key, kid: JWKIdentifier(string: kid))
        let claims = AccessTokenClaims(
            userId: user, username: "u\(user.prefix(6).lowercased())", tokenId: UUID().uuidString, familyId: nil,
            issuedAt: Date(), expiresAt: Date().addingTimeInterval(expiresIn))
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid))
    }

    func call(
        _ method: HTTPMethod = .GET, _ path: String, token: String? = nil, gateway: Int = 0,
        headers: [(String, String)] = [], body: HTTPClientRequest.Body? = nil
    ) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(Self.ports[gateway])\(path)")
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = body }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), response.headers, String(buffer: try await response.body.collect(upTo: 1 << 22)))
    }

    // MARK: Routing and identity

    @Test func routesCarryASignedIdentityThatServicesCanVerify() async throws {
        let user = UUID().uuidString
        let answer = try await call(.GET, "/v1/users/me?x=1", token: try await token(user: user), headers: [("X-Request-Id", "req-42")])
        #expect(answer.status == 200)
        #expect(answer.headers["X-Request-Id"].first == "req-42")
        #expect(answer.headers["X-Seen-Request-Id"].first == "req-42")
        #expect(answer.headers["X-Seen-Path"].first == "/v1/users/me?x=1")
        #expect(answer.headers["X-Seen-Forwarded-For"].first == "127.0.0.1")
        let identity = try #require(answer.headers["X-Seen-Identity"].first.flatMap { signer.verify($0, method: .get, path: "/v1/users/me") })
        #expect(identity.userId == user)
        // The identity is bound to its request: it opens no other path or method.
        let seen = try #require(answer.headers["X-Seen-Identity"].first)
        #expect(signer.verify(seen, method: .get, path: "/v1/users/someone") == nil)
        #expect(signer.verify(seen, method: .delete, path: "/v1/users/me") == nil)

        // A client's own X-Chat-Identity never reaches a service, not even on public routes.
        let forged = signer.sign(
            VerifiedIdentity(userId: "admin", username: "admin", tokenId: "x", expiresAt: Int64.max, familyId: nil),
            method: .post, path: "/v1/auth/register")
        let publicCall = try await call(.POST, "/v1/auth/register", headers: [("X-Chat-Identity", forged)], body: .bytes(ByteBuffer(string: "{}")))
        #expect(publicCall.status == 200)
        #expect(publicCall.headers["X-Seen-Identity"].first == "none")
        // Unknown paths are the contract's 404.
        let unknown = try await call(.GET, "/v1/nothing-here")
        #expect(unknown.status == 404)
        #expect(unknown.body.contains(#""code":"not_found""#))
    }

    @Test func badTokensAreRefusedWith401() async throws {
        #expect(try await call(.GET, "/v1/users/me").status == 401)
        #expect(try await call(.GET, "/v1/users/me", headers: [("Authorization", "Basic abc")]).status == 401)
        #expect(try await call(.GET, "/v1/users/me", token: "not.a.token").status == 401)
        // Expired.
        #expect(try await call(.GET, "/v1/users/me", token: try await token(expiresIn: -60)).status == 401)
        // Signed by another key under a published kid, or under an unknown kid.
        #expect(try await call(.GET, "/v1/users/me", token: try await token(key: try EdDSA.PrivateKey())).status == 401)
        #expect(try await call(.GET, "/v1/users/me", token: try await token(key: try EdDSA.PrivateKey(), kid: "nobody")).status == 401)
        // alg: none, and a payload changed after signing.
        let valid = try await token()
        let parts = valid.split(separator: ".").map(String.init)
        let noneHeader = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT","kid":"key-1"}"#.utf8))
        #expect(try await call(.GET, "/v1/users/me", token: "\(noneHeader).\(parts[1]).").status == 401)
        var payload = try #require(Base64URL.decode(parts[1]))
        payload = Array(String(decoding: payload, as: UTF8.self).replacingOccurrences(of: "\"sub\":\"", with: "\"sub\":\"x").utf8)
        #expect(try await call(.GET, "/v1/users/me", token: "\(parts[0]).\(Base64URL.encode(payload)).\(parts[2])").status == 401)
        // The browser form is for WebSockets only: on other routes the token in the query is ignored.
        #expect(try await call(.GET, "/v1/users/me?access_token=\(valid)").status == 401)
        #expect(try await call(.GET, "/v1/users/me", token: valid).status == 200)
    }

    @Test func concurrentFirstRequestsWaitForTheKeysInsteadOfFailing() async throws {
        // A fresh gateway has no keys yet: every request that arrives while they load must wait for them.
        var tokens: [String] = []
        for _ in 0..<20 { tokens.append(try await token()) }
        let url = "http://127.0.0.1:\(Self.ports[1])/v1/users/me"
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for token in tokens {
                group.addTask {
                    var request = HTTPClientRequest(url: url)
                    request.headers.add(name: "Authorization", value: "Bearer \(token)")
                    return Int(try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status.code)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 20))
    }

    @Test func aRevokedTokenIsRefusedAtOnce() async throws {
        let user = UUID().uuidString
        let jwt = try await token(user: user)
        #expect(try await call(.GET, "/v1/users/me", token: jwt).status == 200)
        let keys = JWTKeyCollection()
        await keys.add(eddsa: key, kid: "key-1")
        let claims = try await keys.verify(jwt, as: AccessTokenClaims.self)
        let redis = RedisTestCluster.main.client()
        try await TokenDenylist(redis: redis).deny(
            tokenId: claims.jti.value, expiresAt: Int64(claims.exp.value.timeIntervalSince1970), now: Int64(Date().timeIntervalSince1970))
        let answer = try await call(.GET, "/v1/users/me", token: jwt)
        #expect(answer.status == 401)
        #expect(answer.body.contains("revoked"))
        await redis.close()
    }

    @Test func keysRotatedInAuthAreFetchedOnAnUnknownKid() async throws {
        #expect(try await call(.GET, "/v1/users/me", token: try await token()).status == 200)
        let newKey = try EdDSA.PrivateKey()
        upstream.signingKeys.withLock { $0.append(("key-2", newKey)) }
        let rotated = try await token(key: newKey, kid: "key-2")
        // The gateway refetches the keys at most once per interval; within a few seconds the new key verifies.
        var status = 0
        for _ in 0..<50 where status != 200 {
            status = try await call(.GET, "/v1/users/me", token: rotated).status
            if status != 200 { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(status == 200)
    }

    // MARK: Limits

    @Test func theRateLimitIsSharedByGatewayInstances() async throws {
        let jwt = try await token()
        var statuses: [Int] = []
        var retryAfter: String?
        for index in 0..<8 {
            let answer = try await call(.GET, "/v1/users/me", token: jwt, gateway: index % 2)
            statuses.append(answer.status)
            if answer.status == 429 { retryAfter = answer.headers["Retry-After"].first }
        }
        #expect(statuses.prefix(5).allSatisfy { $0 == 200 })
        #expect(statuses.suffix(3).allSatisfy { $0 == 429 })
        #expect((retryAfter.flatMap(Int.init) ?? 0) >= 1)
    }

    @Test func bodiesPassBothWaysUpToTheLimit() async throws {
        let jwt = try await token()
        let payload = String(repeating: "0123456789abcdef", count: 4000)  // 64,000 bytes
        let echoed = try await call(.POST, "/v1/conversations", token: jwt, body: .bytes(ByteBuffer(string: payload)))
        #expect(echoed.status == 200)
        #expect(echoed.body.count == payload.count && echoed.body == payload)
        let tooLarge = String(repeating: "x", count: 70_000)
        let declared = try await call(.POST, "/v1/conversations", token: try await token(), body: .bytes(ByteBuffer(string: tooLarge)))
        #expect(declared.status == 413)
        #expect(declared.body.contains("payload_too_large"))
        let chunks = (0..<35).map { _ in ByteBuffer(string: String(repeating: "y", count: 2000)) }
        let streamed = try await call(.POST, "/v1/conversations", token: try await token(), body: .stream(chunks.async, length: .unknown))
        #expect(streamed.status == 413)
    }

    @Test func upstreamFailuresAreContractErrors() async throws {
        // The first user instance is down: requests go to the second without failing.
        for _ in 0..<4 { #expect(try await call(.GET, "/v1/users/me", token: try await token()).status == 200) }
        let unavailable = try await call(.GET, "/v1/notifications", token: try await token())
        #expect(unavailable.status == 503)
        #expect(unavailable.body.contains(#""code":"unavailable""#))
        let slow = try await call(.GET, "/v1/users/slow", token: try await token())
        #expect(slow.status == 504)
        #expect(slow.body.contains("gateway_timeout"))
    }

    @Test func corsAnswersOnlyAllowedOrigins() async throws {
        let allowed = try await call(
            .OPTIONS, "/v1/users/me",
            headers: [
                ("Origin", "https://app.example"), ("Access-Control-Request-Method", "GET"),
            ])
        #expect(allowed.headers["Access-Control-Allow-Origin"].first == "https://app.example")
        let other = try await call(.GET, "/v1/auth/jwks", headers: [("Origin", "https://evil.example")])
        #expect(other.headers["Access-Control-Allow-Origin"].isEmpty)
    }

    @Test func theWebClientAndTheAPIDescriptionAreServedWithoutAToken() async throws {
        let index = try await call(.GET, "/")
        #expect(index.status == 200 && index.headers["Content-Type"].first?.hasPrefix("text/html") == true)
        #expect(index.headers["Content-Security-Policy"].first?.contains("default-src 'self'") == true)
        #expect(index.headers["X-Request-Id"].first != nil)
        let module = try await call(.GET, "/app/main.js")
        #expect(module.status == 200 && module.headers["Content-Type"].first?.contains("javascript") == true)
        let description = try await call(.GET, "/v1/openapi.json")
        #expect(description.status == 200 && description.body.contains(#""openapi""#))
        #expect(description.headers["Content-Type"].first?.hasPrefix("application/json") == true)
        #expect(try await call(.GET, "/nothing.js").status == 404)
        // Nothing outside the folder: a path that climbs out is refused.
        for path in ["/../Package.swift", "/%2e%2e/Package.swift", "/app/../../README.md"] {
            let escaped = try await call(.GET, path)
            #expect([400, 404].contains(escaped.status) && !escaped.body.contains("swift-tools-version"), "\(path)")
        }
        // Methods the API does not use are answered by the gateway, never passed on.
        let trace = try await call(.init(rawValue: "TRACE"), "/v1/users/me", token: try await token())
        #expect(trace.status == 405 && trace.body.contains("method_not_allowed") && trace.headers["Allow"].first != nil)
    }

    // MARK: WebSocket

    @Test func webSocketsRelayFramesAndCloseCodesBothWays() async throws {
        let user = UUID().uuidString
        let jwt = try await token(user: user)
        let url = "ws://127.0.0.1:\(Self.ports[0])/v1/ws"
        let echoes = Mutex<[String]>([])
        let closed = try await WebSocketClient.connect(
            url: url, configuration: .init(maxFrameSize: 1 << 20, additionalHeaders: [.authorization: "Bearer \(jwt)"]),
            logger: TestStack.logger
        ) { inbound, outbound, _ in
            try await outbound.write(.text("hello"))
            try await outbound.write(.text(String(repeating: "z", count: 60_000)))
            try await outbound.write(.text("close:4001"))
            for try await message in inbound.messages(maxSize: 1 << 20) {
                if case .text(let text) = message { echoes.withLock { $0.append(text) } }
            }
        }
        let received = echoes.withLock { $0 }
        #expect(
            received.count == 2 && received.first == "hello" && received.last == String(repeating: "z", count: 60_000), "\(received.map(\.count))")
        #expect(closed?.closeCode == .init(codeNumber: 4001))
        #expect(closed?.reason == "bye")
        let identity = try #require(upstream.seenWebSocketIdentity.withLock { $0 }.flatMap { signer.verify($0, method: .get, path: "/v1/ws") })
        #expect(identity.userId == user)

        // A client that closes makes the gateway close the chat side.
        let closedBefore = upstream.closedByClient.load(ordering: .relaxed)
        try await WebSocketClient.connect(url: "\(url)?access_token=\(jwt)", logger: TestStack.logger) { inbound, outbound, _ in
            try await outbound.write(.text("ping me"))
            var iterator = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
            _ = try await iterator.next()
            try await outbound.close(.normalClosure, reason: nil)
        }
        var relayedClose = false
        for _ in 0..<100 where !relayedClose {
            relayedClose = upstream.closedByClient.load(ordering: .relaxed) > closedBefore
            if !relayedClose { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(relayedClose)

        // Frames over 64 KiB close with 1009; a bad token gets 401 and no upgrade.
        let oversized = try await WebSocketClient.connect(
            url: url, configuration: .init(maxFrameSize: 1 << 20, additionalHeaders: [.authorization: "Bearer \(jwt)"]),
            logger: TestStack.logger
        ) { inbound, outbound, _ in
            try await outbound.write(.text(String(repeating: "o", count: 70_000)))
            for try await _ in inbound {}
        }
        #expect(oversized?.closeCode == .messageTooLarge)
        await #expect(throws: (any Error).self) {
            try await WebSocketClient.connect(
                url: url, configuration: .init(additionalHeaders: [.authorization: "Bearer nope"]), logger: TestStack.logger
            ) { _, _, _ in }
        }
        let refused = try await call(.GET, "/v1/ws", headers: [("Authorization", "Bearer nope")])
        #expect(refused.status == 401)
    }

    @Test func anUpgradeAChatInstanceRefusesFor503GoesToTheNext() async throws {
        let starting = TestUpstream(refusesWebSockets: true)
        defer { starting.stop() }
        let startingBase = "http://127.0.0.1:\(try await starting.start())"
        let ready = upstreamBase
        func gateway(port: Int, chat: String) async throws -> ServiceProcess {
            let process = try ServiceProcess(
                "api-gateway", port: port,
                environment: [
                    "CHAT_UPSTREAM_AUTH": ready, "CHAT_UPSTREAM_USER": ready, "CHAT_UPSTREAM_CHAT": chat,
                    "CHAT_UPSTREAM_NOTIFICATION": ready, "CHAT_RATE_LIMIT_PER_USER": "100",
                ])
            try await process.waitFor("/health", status: 200)
            return process
        }
        // One instance starting, one ready: every upgrade reaches the ready one, whichever is asked first.
        let both = try await gateway(port: 18282, chat: "\(startingBase),\(ready)")
        for _ in 0..<4 {
            let reply = try await RawHTTP.upgrade(port: 18282, path: "/v1/ws", headers: [("Authorization", "Bearer \(try await token())")])
            #expect(reply.status == 101, "\(reply)")
        }
        #expect(try await both.terminate() == 0)
        // Only the starting one: its 503 reaches the client, Retry-After included.
        let alone = try await gateway(port: 18283, chat: startingBase)
        let refused = try await RawHTTP.upgrade(port: 18283, path: "/v1/ws", headers: [("Authorization", "Bearer \(try await token())")])
        #expect(refused.status == 503 && refused.headers["retry-after"] == "1" && refused.body.contains("starting"), "\(refused)")
        #expect(try await alone.terminate() == 0)
    }

    @Test func aRefusedUpgradeIsTheContractsErrorNotAnEmpty400() async throws {
        let port = Self.ports[1]
        for headers in [[], [("Authorization", "Bearer not.a.token")], [("Authorization", "Basic abc")]] {
            let refused = try await RawHTTP.upgrade(port: port, path: "/v1/ws", headers: headers)
            #expect(refused.status == 401 && refused.body.contains(#""code":"unauthorized""#), "\(headers): \(refused)")
            #expect(refused.headers["x-request-id"] != nil && refused.headers["content-type"]?.hasPrefix("application/json") == true)
        }
        let unknownPath = try await RawHTTP.upgrade(port: port, path: "/v1/nothing", headers: [("Authorization", "Bearer \(try await token())")])
        #expect(unknownPath.status == 404 && unknownPath.body.contains(#""code":"not_found""#))
        // Over the user's rate limit (5 a minute here): 429 with Retry-After, as for any request.
        let jwt = try await token()
        var statuses: [Int] = []
        for _ in 0..<7 {
            let reply = try await RawHTTP.upgrade(port: port, path: "/v1/ws?access_token=\(jwt)", headers: [("X-Request-Id", "upgrade-test")])
            statuses.append(reply.status)
            if reply.status == 429 {
                #expect(reply.body.contains(#""code":"rate_limited""#) && Int(reply.headers["retry-after"] ?? "") ?? 0 >= 1)
                #expect(reply.headers["x-request-id"] == "upgrade-test")
            }
        }
        #expect(statuses == [101, 101, 101, 101, 101, 429, 429])
    }
}
