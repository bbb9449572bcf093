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
        /// Tokens taken: between 1 and the number asked for, or 0 when refused.
        public let granted: Int
        /// When refused: seconds until a token is back (at least 1).
        public let retryAfterSeconds: Int

        public var allowed: Bool { granted > 0 }
    }

    /// Takes as many tokens as the bucket `name` holds, up to `wanted`: refused only when it holds less than one.
    public func take(_ name: String, capacity: Int, period: Duration, upTo wanted: Int = 1) async throws -> Decision {
        let periodMs = period.components.seconds * 1000 + period.components.attoseconds / 1_000_000_000_000_000
        let reply = try await redis.evaluate(
            Self.script, keys: ["\(prefix):{\(name)}"],
            arguments: [String(capacity), String(periodMs), String(max(1, wanted))])
        let values = reply.array ?? []
        let granted = Int(values.first?.integer ?? 0)
        let retryMs = values.count > 1 ? values[1].integer ?? 0 : 0
        return Decision(granted: granted, retryAfterSeconds: granted > 0 ? 0 : max(1, Int((retryMs + 999) / 1000)))
    }

    private static let script = RedisScript(
        """
        local capacity = tonumber(ARGV[1])
        local period = tonumber(ARGV[2])
        local wanted = tonumber(ARGV[3])
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens = tonumber(state[1]) or capacity
        local at = tonumber(state[2]) or now
        tokens = math.min(capacity, tokens + (now - at) * capacity / period)
        local granted, retry = 0, 0
        if tokens >= 1 then
            granted = math.min(wanted, math.floor(tokens))
            tokens = tokens - granted
        else
            retry = math.ceil((1 - tokens) * period / capacity)
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
        redis.call('PEXPIRE', KEYS[1], period + 1000)
        return {granted, retry}
        """)
}
