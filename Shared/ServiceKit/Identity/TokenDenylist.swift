import RedisCluster

/// Access tokens revoked before they expire, in the Redis Cluster, shared by every instance that verifies tokens:
///
/// - one token by `jti` (logout revokes the token that made the call): `auth:denied:{<jti>}`, until its expiry;
/// - a whole refresh-token family (logout, or a refresh token used twice): `auth:revoked-family:{<familyId>}`, for
///   as long as any access token of the family can live (``familyRetention``): no access token issued in the family
///   verifies any more, and no socket opened with one may re-authenticate.
///
/// Entries expire on their own, so the lists never outgrow the tokens still alive.
public struct TokenDenylist: Sendable {
    let redis: RedisClusterClient
    /// The longest an access token lives (``ConfigKey/accessTokenTTLSeconds``), plus a minute.
    let familyRetentionSeconds: Int

    public init(redis: RedisClusterClient, accessTokenLifetimeSeconds: Int = 86_400) {
        self.redis = redis
        self.familyRetentionSeconds = accessTokenLifetimeSeconds + 60
    }

    static func key(_ tokenId: String) -> String { "auth:denied:{\(tokenId)}" }
    static func familyKey(_ familyId: String) -> String { "auth:revoked-family:{\(familyId)}" }

    /// Revokes the token `tokenId` until `expiresAt` (seconds since 1970, its `exp`).
    public func deny(tokenId: String, expiresAt: Int64, now: Int64) async throws {
        let seconds = max(1, Int(expiresAt - now))
        try await redis.set(Self.key(tokenId), "1", expiration: .seconds(seconds))
    }

    /// Revokes every access token of the refresh-token family `familyId`.
    public func revokeFamily(_ familyId: String) async throws {
        try await redis.set(Self.familyKey(familyId), "1", expiration: .seconds(familyRetentionSeconds))
    }

    /// Whether `identity`'s token, or its family, was revoked (the two lookups run together).
    public func isRevoked(_ identity: VerifiedIdentity) async throws -> Bool {
        async let token = redis.get(Self.key(identity.tokenId))
        guard let familyId = identity.familyId else { return try await token != nil }
        async let family = redis.get(Self.familyKey(familyId))
        let (tokenEntry, familyEntry) = try await (token, family)
        return tokenEntry != nil || familyEntry != nil
    }
}
