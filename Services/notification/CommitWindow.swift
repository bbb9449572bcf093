import Kafka
import Synchronization

/// The records being handled at the same time, in the order they came: a record may be committed once it and every
/// record before it were handled, so that a restart never skips an unhandled one.
final class CommitWindow: Sendable {
    private struct State {
        var records: [(record: KafkaRecord, handled: Bool)] = []
        /// How many records left the window (the number of the first one in it).
        var passed = 0
    }

    private let state = Mutex(State())

    /// Adds `record`; returns its number, for ``handled(_:commit:)``.
    func add(_ record: KafkaRecord) -> Int {
        state.withLock { state in
            state.records.append((record, false))
            return state.passed + state.records.count - 1
        }
    }

    /// Marks record `number` handled and calls `commit` with what may now be committed: the last record of each
    /// partition among the handled records at the front, which leave the window. `commit` runs under the window's
    /// lock, so commits never go backwards.
    func handled(_ number: Int, commit: (KafkaRecord) -> Void) {
        state.withLock { state in
            state.records[number - state.passed].handled = true
            var committable: [String: KafkaRecord] = [:]
            while let front = state.records.first, front.handled {
                committable["\(front.record.topic)/\(front.record.partition)"] = front.record
                state.records.removeFirst()
                state.passed += 1
            }
            committable.values.forEach(commit)
        }
    }
}
