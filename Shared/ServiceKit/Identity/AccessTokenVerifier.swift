import AsyncHTTPClient
import Foundation
import JWTKit
import Logging
import ServiceLifecycle
import Synchronization

/// Verifies access tokens with the public keys auth publishes at `/v1/auth/jwks`, and checks the denylist (the token
/// and its refresh-token family).
///
/// Keys are fetched on first use, again when a token names a `kid` not seen yet (a rotation; at most once per
/// ``refreshInterval``), and every ``reloadInterval`` while the verifier runs as a service, so that a key removed from
/// the JWKS stops verifying. Only a token whose `kid` is among the published keys is checked at all, so no token falls
/// back to some default key, and `alg: none` or a foreign algorithm never verifies. Verification itself runs
/// concurrently: the keys are a snapshot, replaced whole by a reload.
public final class AccessTokenVerifier: Service, Sendable {
    static let refreshInterval: Duration = .seconds(1)
    public static let reloadInterval: Duration = .seconds(300)
    /// auth's instances (base URLs) to ask for the keys, in the order to try them.
    private let authInstances: @Sendable () -> [String]
    private let client: HTTPClient
    private let denylist: TokenDenylist
    private let logger: Logger
    private let keys = Mutex<(collection: JWTKeyCollection, ids: Set<String>)>((JWTKeyCollection(), []))
    /// The reload under way (callers that need the keys wait for it), and when the last one started.
    private let reloading = Mutex<(task: Task<Void, Never>?, started: ContinuousClock.Instant?)>((nil, nil))

    public init(authInstances: @escaping @Sendable () -> [String], client: HTTPClient, denylist: TokenDenylist, logger: Logger) {
        self.authInstances = authInstances
        self.client = client
        self.denylist = denylist
        self.logger = logger
    }

    /// The identity a valid, unrevoked `token` proves; 401 otherwise.
    public func verify(_ token: String) async throws -> VerifiedIdentity {
        guard let keyId = Self.keyId(of: token) else { throw APIError.unauthorized() }
        if !keys.withLock({ $0.ids.contains(keyId) }) { await reload(unlessWithin: Self.refreshInterval) }
        let (collection, known) = keys.withLock { ($0.collection, $0.ids.contains(keyId)) }
        guard known else { throw APIError.unauthorized() }
        let claims: AccessTokenClaims
        do {
            claims = try await collection.verify(token, as: AccessTokenClaims.self)
        } catch {
            throw APIError.unauthorized()
        }
        let identity = claims.identity
        if try await denylist.isRevoked(identity) { throw APIError.unauthorized("the access token was revoked") }
        return identity
    }

    /// Reloads the keys every ``reloadInterval`` until graceful shutdown.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    try await Task.sleep(for: Self.reloadInterval)
                    await self.reload(unlessWithin: .zero)
                }
            }
        } catch is CancellationError {
            // Graceful shutdown.
        }
    }

    /// The `kid` in the token's header, nil when the header is malformed or has none.
    static func keyId(of token: String) -> String? {
        guard let header = token.split(separator: ".", maxSplits: 1).first,
            let json = Base64URL.decode(String(header)),
            let fields = try? JSONDecoder().decode([String: String?].self, from: Data(json))
        else { return nil }
        return fields["kid"] ?? nil
    }

    /// Reloads the keys unless a reload started within `interval`; callers arriving during a reload wait for it
    /// instead of seeing the old keys.
    private func reload(unlessWithin interval: Duration) async {
        let task = reloading.withLock { state -> Task<Void, Never>? in
            if let running = state.task { return running }
            if let started = state.started, ContinuousClock.now - started < interval { return nil }
            let task = Task {
                await self.fetch()
                self.reloading.withLock { $0.task = nil }
            }
            state = (task, .now)
            return task
        }
        await task?.value
    }

    private func fetch() async {
        for instance in authInstances() {
            do {
                let response = try await client.execute(HTTPClientRequest(url: instance + "/v1/auth/jwks"), timeout: .seconds(2))
                guard response.status == .ok else { continue }
                let body = try await response.body.collect(upTo: 1 << 20)
                let jwks = try JSONDecoder().decode(JWKS.self, from: body)
                let collection = JWTKeyCollection()
                try await collection.add(jwks: jwks)
                let ids = Set(jwks.keys.compactMap { $0.keyIdentifier?.string })
                keys.withLock { $0 = (collection, ids) }
                logger.info("loaded access-token keys", metadata: ["kids": "\(ids.sorted())"])
                return
            } catch {
                logger.warning("cannot load access-token keys", metadata: ["instance": "\(instance)", "error": "\(error)"])
            }
        }
    }
}
