import Testing

@testable import AuthService

/// Appointments for refused password checks: after the queue drains, one slot per check the threads can finish.
struct RetryAppointmentsTests {
    let start = ContinuousClock.now

    @Test func aStormIsSpreadOverTheTimeTheThreadsNeedForIt() {
        var book = RetryAppointments()
        let waits = (0..<4).map { _ in book.book(now: start, drain: .seconds(5), spacing: .milliseconds(500)) }
        #expect(waits == [.seconds(5), .milliseconds(5_500), .seconds(6), .milliseconds(6_500)])
    }

    @Test func aLaterRefusalWaitsAtLeastForTheQueueAheadOfIt() {
        var book = RetryAppointments()
        _ = book.book(now: start, drain: .seconds(1), spacing: .milliseconds(500))
        // Ten seconds later the schedule is empty: only the queue's own drain counts.
        #expect(book.book(now: start + .seconds(10), drain: .seconds(2), spacing: .milliseconds(500)) == .seconds(2))
        // A refusal while appointments are still ahead queues behind them.
        #expect(book.book(now: start + .seconds(10), drain: .zero, spacing: .milliseconds(500)) == .milliseconds(2_500))
    }
}
