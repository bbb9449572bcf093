import Foundation

/// How many polled records may wait for the application: the polling thread takes a credit per record and the
/// consumer's iterator gives one back per record handed out. (A `DispatchSemaphore` cannot serve here: it traps
/// when freed while records are still buffered.)
final class PollCredits: @unchecked Sendable {
    private let condition = NSCondition()
    private var available: Int

    init(_ count: Int) { self.available = count }

    /// Takes a credit, waiting at most `timeout`; false when none became available.
    func take(timeout: TimeInterval) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while available == 0 {
            guard condition.wait(until: deadline) else { return false }
        }
        available -= 1
        return true
    }

    func give() {
        condition.lock()
        available += 1
        condition.signal()
        condition.unlock()
    }
}
