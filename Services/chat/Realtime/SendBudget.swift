import ServiceKit
import Synchronization

/// How many messages a user may send over WebSockets: one token bucket per user in the Redis Cluster, shared by all
/// their sockets on every instance (``ConfigKey/sendBudgetPerSecond``, bursts of ``ConfigKey/sendBudgetBurst``).
///
/// An instance takes tokens from the bucket in leases of up to a quarter second's worth (``leaseSize``) and spends
/// them locally for at most ``leaseLifetime``: a user sending fast costs one Redis script per lease instead of one
/// per message. Every token spent came out of the shared bucket, so the budget is never exceeded; a lease left
/// unspent when it expires (the user went quiet, or moved to a socket on another instance) is lost, which can only
/// make the budget stricter, by at most one lease per instance.
final class SendBudget: Sendable {
    let limiter: RateLimiter
    let perSecond: Int
    let burst: Int
    /// Tokens taken from the bucket at once: a quarter second at the full rate, at least 1, at most the burst.
    let leaseSize: Int
    static let leaseLifetime: Duration = .seconds(1)
    /// Above this many users with a lease, expired leases are swept out on the next lease.
    static let sweepThreshold = 10_000

    private struct Lease {
        var tokens: Int
        let expires: ContinuousClock.Instant
    }
    private let leases = Mutex<[String: Lease]>([:])

    init(limiter: RateLimiter, perSecond: Int, burst: Int) {
        self.limiter = limiter
        self.perSecond = perSecond
        self.burst = burst
        leaseSize = min(burst, max(1, perSecond / 4))
    }

    convenience init(_ settings: Settings, limiter: RateLimiter) throws {
        self.init(
            limiter: limiter, perSecond: try settings.reader.integer(.sendBudgetPerSecond, range: 1...1_000_000),
            burst: try settings.reader.integer(.sendBudgetBurst, range: 1...1_000_000))
    }

    /// Takes one message from `userId`'s budget; false when it is spent.
    func take(for userId: String) async throws -> Bool {
        if takeLeased(for: userId) { return true }
        // The bucket refills `burst` tokens in burst / perSecond seconds.
        let decision = try await limiter.take(
            userId, capacity: burst, period: .milliseconds(Int64(burst) * 1000 / Int64(perSecond)), upTo: leaseSize)
        guard decision.allowed else { return false }
        if decision.granted > 1 { keep(decision.granted - 1, for: userId) }
        return true
    }

    /// Takes one message from a live lease of `userId`'s, without waiting; false when there is none (then
    /// ``take(for:)`` asks the shared bucket).
    func takeLeased(for userId: String) -> Bool {
        let now = ContinuousClock.now
        return leases.withLock { leases in
            guard var lease = leases[userId], lease.expires > now, lease.tokens > 0 else { return false }
            lease.tokens -= 1
            leases[userId] = lease.tokens > 0 ? lease : nil
            return true
        }
    }

    private func keep(_ tokens: Int, for userId: String) {
        let now = ContinuousClock.now
        leases.withLock { leases in
            if leases.count >= Self.sweepThreshold { leases = leases.filter { $0.value.expires > now } }
            let left = leases[userId].flatMap { $0.expires > now ? $0.tokens : nil } ?? 0
            leases[userId] = Lease(tokens: left + tokens, expires: now + Self.leaseLifetime)
        }
    }
}
