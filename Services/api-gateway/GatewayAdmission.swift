import ServiceKit

/// What the gateway checks before a request goes upstream, REST and WebSocket upgrades alike: the client address's
/// rate limit, then (where the route needs one) the access token and the user's rate limit. Refusals are the
/// contract's errors: 401 `unauthorized`, 429 `rate_limited` with `Retry-After`.
struct GatewayAdmission: Sendable {
    let verifier: AccessTokenVerifier
    let limiter: RateLimiter
    let settings: GatewaySettings

    /// Takes a token from `address`'s bucket (``GatewaySettings/rateLimitPerAddress`` a minute).
    func limit(address: String) async throws {
        try await take("address:\(address)", capacity: settings.rateLimitPerAddress, scope: .address)
    }

    /// The identity `token` proves, once a token was taken from the user's bucket
    /// (``GatewaySettings/rateLimitPerUser`` a minute).
    func authenticate(_ token: String) async throws -> VerifiedIdentity {
        let identity = try await verifier.verify(token)
        try await take("user:\(identity.userId)", capacity: settings.rateLimitPerUser, scope: .user)
        return identity
    }

    private func take(_ bucket: String, capacity: Int, scope: GatewayMetrics.RateLimitScope) async throws {
        let decision = try await limiter.take(bucket, capacity: capacity, period: .seconds(60))
        if !decision.allowed {
            GatewayMetrics.refused(scope)
            throw APIError.rateLimited(retryAfterSeconds: decision.retryAfterSeconds)
        }
    }
}
