/// When to tell refused password checks to come back.
///
/// Each refusal gets the next free slot after the queue ahead of it has drained, slots one hash time per thread
/// apart: a storm of N refused logins is spread over the time the hashing threads need for N of them, so a client that
/// comes back at its time finds room instead of being refused again with the crowd. Slots are not reserved: whoever
/// arrives when the queue has room is admitted, so a client that never comes back costs nothing but spacing.
struct RetryAppointments: Sendable {
    private var next: ContinuousClock.Instant?

    /// Books the next slot for a check refused at `now`, when the admitted queue takes `drain` to empty and the
    /// threads finish one check every `spacing`; answers how long the client should wait.
    mutating func book(now: ContinuousClock.Instant, drain: Duration, spacing: Duration) -> Duration {
        let earliest = now + drain
        let slot = max(next ?? earliest, earliest)
        next = slot + spacing
        return slot - now
    }
}
