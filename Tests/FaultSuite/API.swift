import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// One HTTP answer: status, `Retry-After` (seconds) and body.
struct HTTPAnswer: Sendable {
    let status: Int
    let retryAfter: Int?
    let body: Data

    var text: String { String(decoding: body.prefix(300), as: UTF8.self) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do { return try JSONDecoder().decode(type, from: body) } catch {
            throw SuiteError("cannot decode \(T.self) from \(status) \(text): \(error)")
        }
    }
}

struct SuiteError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The product's public HTTP API as the contract has it, through the gateway.
struct API: Sendable {
    let base: String
    let http: HTTPClient

    struct TokenPair: Decodable, Sendable {
        struct User: Decodable, Sendable { let id: String }
        let user: User?
        let accessToken: String
        let refreshToken: String
        let expiresIn: Int
    }

    struct Page<Item: Decodable & Sendable>: Decodable, Sendable {
        let items: [Item]
        let nextCursor: String?
    }

    struct Notification: Decodable, Sendable {
        let id: String
        let type: String
        let conversationId: String?
        let seq: Int64?
    }

    /// One request; `json` is the body already encoded.
    func call(
        _ method: HTTPMethod, _ path: String, json: Data? = nil, token: String? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> HTTPAnswer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: json))
        }
        let response = try await http.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000))
        let body = try await response.body.collect(upTo: 16 << 20)
        return HTTPAnswer(
            status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After").flatMap(Int.init),
            body: Data(body.readableBytesView))
    }

    /// `call`, retried while the answer is 429, 502, 503 or 504 or the request fails (waiting `Retry-After` when
    /// given, else a growing delay), until `deadline`. Returns the last answer.
    func callRetrying(
        _ method: HTTPMethod, _ path: String, json: Data? = nil, token: @Sendable () async throws -> String?,
        deadline: Duration = .seconds(90)
    ) async throws -> HTTPAnswer {
        let end = ContinuousClock.now + deadline
        var delay = Duration.milliseconds(200)
        while true {
            do {
                let answer = try await call(method, path, json: json, token: try await token())
                if ![429, 502, 503, 504].contains(answer.status) || ContinuousClock.now > end { return answer }
                if let seconds = answer.retryAfter { delay = .seconds(max(seconds, 1)) }
            } catch {
                if ContinuousClock.now > end { throw SuiteError("\(method) \(path): \(error)") }
            }
            try await Task.sleep(for: delay + .milliseconds(Int.random(in: 0...200)))
            delay = min(delay * 2, .seconds(5))
        }
    }

    static func body(_ object: [String: any Sendable]) -> Data {
        (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
    }

    func register(username: String, password: String) async throws -> TokenPair {
        let answer = try await callRetrying(
            .POST, "/v1/auth/register", json: Self.body(["username": username, "password": password]),
            token: { nil })
        guard answer.status == 201 else { throw SuiteError("register \(username): \(answer.status) \(answer.text)") }
        return try answer.decode(TokenPair.self)
    }

    func login(username: String, password: String) async throws -> HTTPAnswer {
        try await call(.POST, "/v1/auth/login", json: Self.body(["username": username, "password": password]))
    }

    func refresh(_ refreshToken: String) async throws -> HTTPAnswer {
        try await call(.POST, "/v1/auth/refresh", json: Self.body(["refreshToken": refreshToken]), timeout: .seconds(20))
    }

    func createGroup(owner: Credentials, memberIds: [String], title: String) async throws -> String {
        struct Created: Decodable { let id: String }
        let answer = try await callRetrying(
            .POST, "/v1/conversations",
            json: Self.body(["type": "group", "title": title, "memberIds": memberIds]),
            token: { try await owner.accessToken(self) })
        guard answer.status == 201 else { throw SuiteError("create group: \(answer.status) \(answer.text)") }
        return try answer.decode(Created.self).id
    }
}

/// A user's credentials and current tokens, renewed with the refresh token (or, should the refresh family be gone,
/// a new login) before the access token expires. Shared by the user's REST calls and WebSocket.
final class Credentials: Sendable {
    let username: String
    let password: String
    let userId: String

    private struct Tokens {
        var access: String
        var refresh: String
        var expiresAt: ContinuousClock.Instant
        var lifetime: Duration
    }
    private let tokens: Mutex<Tokens>
    private let renewing = Mutex(false)

    init(username: String, password: String, pair: API.TokenPair) {
        self.username = username
        self.password = password
        self.userId = pair.user?.id ?? ""
        let lifetime = Duration.seconds(pair.expiresIn)
        tokens = Mutex(Tokens(access: pair.accessToken, refresh: pair.refreshToken, expiresAt: .now + lifetime, lifetime: lifetime))
    }

    var current: String { tokens.withLock { $0.access } }

    /// Whether the access token is in the last quarter of its life.
    var needsRenewal: Bool {
        tokens.withLock { $0.expiresAt - .now < $0.lifetime / 4 }
    }

    /// The access token, renewed first when it is in the last quarter of its life.
    func accessToken(_ api: API) async throws -> String {
        if needsRenewal { _ = try await renew(api) }
        return current
    }

    /// Exchanges the refresh token for a new pair (a login if the family was revoked). Concurrent callers: one
    /// renews, the others return false at once and keep the token they have.
    @discardableResult
    func renew(_ api: API) async throws -> Bool {
        guard
            renewing.withLock({ busy in
                if busy { return false }
                busy = true
                return true
            })
        else { return false }
        defer { renewing.withLock { $0 = false } }
        let refresh = tokens.withLock { $0.refresh }
        var answer = try await api.refresh(refresh)
        if answer.status == 401 { answer = try await api.login(username: username, password: password) }
        guard answer.status == 200 else { throw SuiteError("renewing \(username)'s token: \(answer.status) \(answer.text)") }
        let pair = try answer.decode(API.TokenPair.self)
        let lifetime = Duration.seconds(pair.expiresIn)
        tokens.withLock { $0 = Tokens(access: pair.accessToken, refresh: pair.refreshToken, expiresAt: .now + lifetime, lifetime: lifetime) }
        return true
    }
}
