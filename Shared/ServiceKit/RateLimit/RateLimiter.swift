import RedisCluster

/// Token buckets in the Redis Cluster, shared by every instance: each bucket holds up to `capacity` tokens and
/// refills at `capacity` per `period`. One atomic script per check reads, refills and takes; time is the Redis
/// server's own (`TIME`), so instances with skewed clocks agree.
public struct RateLimiter: Sendable {
    let redis: RedisClusterClient
    /// Prefix of every bucket key, e.g. `ratelimit:gateway`.
    let prefix: String

    public init(redis: RedisClusterClient, prefix: String) {
        self.redis = redis
        self.prefix = prefix
    }

    /// What a check decided.
    public struct Decision: Sendable, Equatable {
        public let allowed: Bool
        /// When refused: seconds until a token is back (at least 1).
        public let retryAfterSeconds: Int
    }

    /// Takes `cost` tokens from the bucket `name` if it has them.
    public func take(_ name: String, capacity: Int, period: Duration, cost: Int = 1) async throws -> Decision {
        let periodMs = period.components.seconds * 1000 + period.components.attoseconds / 1_000_000_000_000_000
        let reply = try await redis.evaluate(
            Self.script, keys: ["\(prefix):{\(name)}"],
            arguments: [String(capacity), String(periodMs), String(cost)])
        let values = reply.array ?? []
        let allowed = values.first?.integer == 1
        let retryMs = values.count > 1 ? values[1].integer ?? 0 : 0
        return Decision(allowed: allowed, retryAfterSeconds: allowed ? 0 : max(1, Int((retryMs + 999) / 1000)))
    }

    private static let script = RedisScript(
        """
        local capacity = tonumber(ARGV[1])
        local period = tonumber(ARGV[2])
        local cost = tonumber(ARGV[3])
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens = tonumber(state[1]) or capacity
        local at = tonumber(state[2]) or now
        tokens = math.min(capacity, tokens + (now - at) * capacity / period)
        local allowed, retry = 0, 0
        if tokens >= cost then
            tokens = tokens - cost
            allowed = 1
        else
            retry = math.ceil((cost - tokens) * period / capacity)
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
        redis.call('PEXPIRE', KEYS[1], period + 1000)
        return {allowed, retry}
        """)
}
