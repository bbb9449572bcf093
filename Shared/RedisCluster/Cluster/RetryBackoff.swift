/// Exponential backoff with full jitter for transient cluster states, bounded by a deadline.
struct RetryBackoff {
    let base: Duration
    let cap: Duration
    let deadline: ContinuousClock.Instant
    private var attempt = 0

    init(base: Duration = .milliseconds(20), cap: Duration = .milliseconds(500), deadline: ContinuousClock.Instant) {
        self.base = base
        self.cap = cap
        self.deadline = deadline
    }

    /// Waits before the next attempt; returns false (without waiting) when the deadline leaves no room for one.
    mutating func wait() async -> Bool {
        let ceiling = min(cap, base * (1 << min(attempt, 16)))
        attempt += 1
        let pause = ceiling * Double.random(in: 0.5...1)
        guard ContinuousClock.now + pause < deadline else { return false }
        try? await Task.sleep(for: pause)
        return !Task.isCancelled
    }
}
