import NIOCore
import Synchronization

/// The records the polling thread handed over and the application has not taken yet: taken one at a time or as
/// many as are there at once (``next(upTo:)``), waiting while there are none. The polling thread's credits bound it.
final class RecordBuffer: Sendable {
    private struct State {
        var records = CircularBuffer<KafkaRecord>()
        var waiter: CheckedContinuation<[KafkaRecord], Never>?
        var finished = false
    }

    private let state = Mutex(State())

    /// Adds a record (from the polling thread).
    func append(_ record: KafkaRecord) {
        let handOff = state.withLock { state -> (CheckedContinuation<[KafkaRecord], Never>, [KafkaRecord])? in
            guard let waiter = state.waiter else {
                state.records.append(record)
                return nil
            }
            state.waiter = nil
            return (waiter, [record])
        }
        if let (waiter, records) = handOff { waiter.resume(returning: records) }
    }

    /// No record will come any more: waiters get none.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<[KafkaRecord], Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: [])
    }

    /// Between one and `limit` records, waiting for the first; empty once finished or when the task is cancelled.
    func next(upTo limit: Int) async -> [KafkaRecord] {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> [KafkaRecord]? in
                    if !state.records.isEmpty {
                        var taken: [KafkaRecord] = []
                        taken.reserveCapacity(min(limit, state.records.count))
                        while taken.count < limit, let record = state.records.popFirst() { taken.append(record) }
                        return taken
                    }
                    if state.finished || Task.isCancelled { return [] }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<[KafkaRecord], Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: [])
        }
    }
}
