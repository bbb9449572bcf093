import RedisCluster

/// Access tokens revoked before they expire (logout), by `jti`, in the Redis Cluster: `auth:denied:{<jti>}` with
/// a TTL until the token's own expiry, so the list never outgrows the tokens still alive.
public struct TokenDenylist: Sendable {
    let redis: RedisClusterClient

    public init(redis: RedisClusterClient) { self.redis = redis }

    static func key(_ tokenId: String) -> String { "auth:denied:{\(tokenId)}" }

    /// Revokes the token `tokenId` until `expiresAt` (seconds since 1970, its `exp`).
    public func deny(tokenId: String, expiresAt: Int64, now: Int64) async throws {
        let seconds = max(1, Int(expiresAt - now))
        try await redis.set(Self.key(tokenId), "1", expiration: .seconds(seconds))
    }

    /// Whether `tokenId` was revoked.
    public func isDenied(tokenId: String) async throws -> Bool {
        try await redis.get(Self.key(tokenId)) != nil
    }
}
