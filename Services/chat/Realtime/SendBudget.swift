import ServiceKit

/// How many messages a user may send over WebSockets: one token bucket per user in the Redis Cluster, shared by all
/// their sockets on every instance (``ConfigKey/sendBudgetPerSecond``, bursts of ``ConfigKey/sendBudgetBurst``).
struct SendBudget: Sendable {
    let limiter: RateLimiter
    let perSecond: Int
    let burst: Int

    init(limiter: RateLimiter, perSecond: Int, burst: Int) {
        self.limiter = limiter
        self.perSecond = perSecond
        self.burst = burst
    }

    init(_ settings: Settings, limiter: RateLimiter) throws {
        self.init(
            limiter: limiter, perSecond: try settings.reader.integer(.sendBudgetPerSecond, range: 1...1_000_000),
            burst: try settings.reader.integer(.sendBudgetBurst, range: 1...1_000_000))
    }

    /// Takes one message from `userId`'s budget; false when it is spent.
    func take(for userId: String) async throws -> Bool {
        // The bucket refills `burst` tokens in burst / perSecond seconds.
        try await limiter.take(userId, capacity: burst, period: .milliseconds(Int64(burst) * 1000 / Int64(perSecond))).allowed
    }
}
