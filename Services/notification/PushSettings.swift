import ServiceKit

/// How the notification service consumes events and makes pushes, read from its configuration keys.
struct PushSettings: Sendable {
    /// The Kafka consumer group every instance joins (``ConfigKey/notificationConsumerGroup``).
    let consumerGroup: String
    /// Where a group without committed offsets starts (``ConfigKey/notificationOffsetReset``).
    let offsetReset: String
    /// Attempts per push before it goes to the dead-letter topic (``ConfigKey/pushMaxAttempts``).
    let maxAttempts: Int
    /// Delay before the first retry; doubled per attempt (``ConfigKey/pushRetryBaseMilliseconds``).
    let retryBase: Duration
    /// Time a target may take to answer (``ConfigKey/pushTimeoutMilliseconds``).
    let timeout: Duration
    /// Pushes in flight at once per instance (``ConfigKey/pushConcurrency``).
    let concurrency: Int
    /// Whether targets on loopback, link-local and private addresses are accepted (``ConfigKey/pushAllowPrivateTargets``).
    let allowPrivateTargets: Bool

    init(_ settings: Settings) throws {
        let reader = settings.reader
        consumerGroup = reader.string(.notificationConsumerGroup)
        let reset = reader.string(.notificationOffsetReset).lowercased()
        guard reset == "earliest" || reset == "latest" else {
            throw InvalidSetting(description: "\(ConfigKey.notificationOffsetReset.name)=\(reset): expected earliest or latest")
        }
        offsetReset = reset
        maxAttempts = try reader.integer(.pushMaxAttempts, range: 1...50)
        retryBase = .milliseconds(try reader.integer(.pushRetryBaseMilliseconds, range: 1...600_000))
        timeout = .milliseconds(try reader.integer(.pushTimeoutMilliseconds, range: 100...120_000))
        concurrency = try reader.integer(.pushConcurrency, range: 1...1_000)
        allowPrivateTargets = try reader.boolean(.pushAllowPrivateTargets)
    }

    /// The delay before the attempt after `attempt` (1-based): `retryBase · 2^(attempt−1)`, capped at 10 minutes,
    /// with "equal jitter" (between half and all of it) so targets that failed together are not retried together.
    func backoff(after attempt: Int) -> Duration {
        let base = Double(retryBase.components.seconds) + Double(retryBase.components.attoseconds) / 1e18
        let exponential = min(base * Double(1 << min(attempt - 1, 30)), 600)
        return .milliseconds(Int(exponential * Double.random(in: 0.5...1.0) * 1000))
    }

    /// How long a claimed push stays invisible to other workers: enough for one attempt, after which a push whose
    /// worker died (crash, SIGKILL) is made again.
    var claimLease: Duration { timeout + .seconds(5) }
}

/// A configuration value of the notification service that could not be used.
struct InvalidSetting: Error, CustomStringConvertible {
    let description: String
}
