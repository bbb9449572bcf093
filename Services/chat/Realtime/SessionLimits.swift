/// A token bucket in memory: holds up to `capacity` tokens and refills `rate` per second.
struct TokenBucket: Sendable {
    let capacity: Double
    let rate: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant

    init(capacity: Double, perSecond rate: Double, now: ContinuousClock.Instant = .now) {
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.last = now
    }

    /// Takes one token if there is one.
    mutating func take(now: ContinuousClock.Instant = .now) -> Bool {
        let elapsed = (now - last) / .seconds(1)
        last = now
        tokens = min(capacity, tokens + elapsed * rate)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}

/// What one WebSocket may ask for, besides the user's send budget (shared by all their sockets, see ``SendBudget``):
/// `sync` at most ``syncPerWindow`` frames per 10 s, `read` markers 10 a second (bursts of 50), `typing` 2 a second
/// (bursts of 10; extra typing frames are dropped without an answer).
struct SessionLimits: Sendable {
    static let syncPerWindow = 5
    static let maximumSyncConversations = 200
    var sync = TokenBucket(capacity: Double(syncPerWindow), perSecond: Double(syncPerWindow) / 10)
    var read = TokenBucket(capacity: 50, perSecond: 10)
    var typing = TokenBucket(capacity: 10, perSecond: 2)
}
