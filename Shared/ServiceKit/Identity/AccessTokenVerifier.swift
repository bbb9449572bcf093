import AsyncHTTPClient
import Foundation
import JWTKit
import Logging

/// Verifies access tokens with the public keys auth publishes at `/v1/auth/jwks`, and checks the denylist.
///
/// Keys are fetched on first use and again when a token names a `kid` not seen yet (a rotation), at most once per
/// ``refreshInterval``. Only a token whose `kid` is among the published keys is checked at all, so no token falls
/// back to some default key, and `alg: none` or a foreign algorithm never verifies.
public actor AccessTokenVerifier {
    static let refreshInterval: Duration = .seconds(1)
    /// auth's instances (base URLs) to ask for the keys, in the order to try them.
    private let authInstances: @Sendable () -> [String]
    private let client: HTTPClient
    private let denylist: TokenDenylist
    private let logger: Logger
    private var keys = JWTKeyCollection()
    private var knownKeyIds: Set<String> = []
    private var lastRefresh: ContinuousClock.Instant?
    private var refreshing: Task<Void, Never>?

    public init(authInstances: @escaping @Sendable () -> [String], client: HTTPClient, denylist: TokenDenylist, logger: Logger) {
        self.authInstances = authInstances
        self.client = client
        self.denylist = denylist
        self.logger = logger
    }

    /// The identity a valid, unrevoked `token` proves; 401 otherwise.
    public func verify(_ token: String) async throws -> VerifiedIdentity {
        guard let keyId = Self.keyId(of: token) else { throw APIError.unauthorized() }
        if !knownKeyIds.contains(keyId) { await refreshIfDue() }
        guard knownKeyIds.contains(keyId) else { throw APIError.unauthorized() }
        let claims: AccessTokenClaims
        do {
            claims = try await keys.verify(token, as: AccessTokenClaims.self)
        } catch {
            throw APIError.unauthorized()
        }
        let identity = claims.identity
        if try await denylist.isDenied(tokenId: identity.tokenId) { throw APIError.unauthorized("the access token was revoked") }
        return identity
    }

    /// The `kid` in the token's header, nil when the header is malformed or has none.
    static func keyId(of token: String) -> String? {
        guard let header = token.split(separator: ".", maxSplits: 1).first,
              let json = Base64URL.decode(String(header)),
              let fields = try? JSONDecoder().decode([String: String?].self, from: Data(json))
        else { return nil }
        return fields["kid"] ?? nil
    }

    /// Reloads the keys unless that happened within ``refreshInterval``; callers arriving during a reload wait for
    /// it instead of seeing the old keys.
    private func refreshIfDue() async {
        if let refreshing {
            await refreshing.value
            return
        }
        if let lastRefresh, ContinuousClock.now - lastRefresh < Self.refreshInterval { return }
        lastRefresh = .now
        let task = Task { await self.reload() }
        refreshing = task
        await task.value
        refreshing = nil
    }

    private func reload() async {
        for instance in authInstances() {
            do {
                let response = try await client.execute(HTTPClientRequest(url: instance + "/v1/auth/jwks"), timeout: .seconds(2))
                guard response.status == .ok else { continue }
                let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
                let jwks = try JSONDecoder().decode(JWKS.self, from: Data(body.utf8))
                let collection = JWTKeyCollection()
                try await collection.add(jwks: jwks)
                keys = collection
                knownKeyIds = Set(jwks.keys.compactMap { $0.keyIdentifier?.string })
                logger.info("loaded access-token keys", metadata: ["kids": "\(knownKeyIds.sorted())"])
                return
            } catch {
                logger.warning("cannot load access-token keys", metadata: ["instance": "\(instance)", "error": "\(error)"])
            }
        }
    }
}
