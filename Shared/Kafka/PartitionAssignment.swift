import CRdKafka
import Synchronization

/// The partitions a consumer owns, maintained by librdkafka's rebalance callback, each with the generation in which
/// it was assigned, and the offsets committed for them (the commit callback).
///
/// A record carries the generation of its partition when it was polled. A commit goes through only while that same
/// assignment still holds: once a partition is revoked (or revoked and assigned again), offsets from records polled
/// before are never committed — another member owns the partition and will read those records itself.
final class PartitionAssignment: Sendable {
    struct Key: Hashable {
        let topic: String
        let partition: Int32
    }

    private struct State {
        var generations: [Key: UInt64] = [:]
        var lastGeneration: UInt64 = 0
        var committed: [Key: Int64] = [:]
        /// Assigned partitions fetched from (a record or their end) since they were assigned.
        var fetched: Set<Key> = []
    }

    private let state = Mutex(State())

    /// The partitions assigned now.
    var partitions: [Key] { state.withLock { Array($0.generations.keys) } }

    /// Whether partitions are assigned and each was fetched from since.
    var isPositioned: Bool {
        state.withLock { !$0.generations.isEmpty && $0.generations.keys.allSatisfy($0.fetched.contains) }
    }

    /// Records that `topic`/`partition` was fetched from (a record or its end, on the polling thread) and returns the
    /// generation in which it was assigned, or 0 when it is not assigned (0 never matches).
    @discardableResult
    func fetched(topic: String, partition: Int32) -> UInt64 {
        let key = Key(topic: topic, partition: partition)
        return state.withLock { state in
            guard let generation = state.generations[key] else { return 0 }
            state.fetched.insert(key)
            return generation
        }
    }

    /// Runs `commit` while `topic`/`partition` is still assigned in `generation`, excluding a concurrent revocation;
    /// `nil` when it is not.
    func whileAssigned<T>(topic: String, partition: Int32, generation: UInt64, _ commit: () -> T) -> T? {
        state.withLock { state in
            guard generation != 0, state.generations[Key(topic: topic, partition: partition)] == generation else { return nil }
            return commit()
        }
    }

    /// Applies a rebalance event on the polling thread (librdkafka's rebalance callback), for the cooperative and the
    /// eager protocol. Revoked partitions leave the assignment before librdkafka is told, so no commit can slip in.
    func rebalance(_ consumer: OpaquePointer, _ event: rd_kafka_resp_err_t, _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) {
        let cooperative = String(cString: rd_kafka_rebalance_protocol(consumer)) == "COOPERATIVE"
        let keys =
            partitions.map { list in
                UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt))
                    .map { Key(topic: String(cString: $0.topic), partition: $0.partition) }
            } ?? []
        switch event {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            assign(keys, replacingAll: !cooperative)
            if cooperative {
                rd_kafka_incremental_assign(consumer, partitions).map { rd_kafka_error_destroy($0) }
            } else {
                rd_kafka_assign(consumer, partitions)
            }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS where cooperative:
            revoke(keys)
            rd_kafka_incremental_unassign(consumer, partitions).map { rd_kafka_error_destroy($0) }
        default:
            revokeAll()
            rd_kafka_assign(consumer, nil)
        }
    }

    /// Records that `keys` were assigned, each in a new generation (the eager protocol first drops every partition).
    func assign(_ keys: [Key], replacingAll: Bool) {
        state.withLock { state in
            if replacingAll {
                state.generations.removeAll()
                state.fetched.removeAll()
            }
            for key in keys {
                state.lastGeneration += 1
                state.generations[key] = state.lastGeneration
                state.fetched.remove(key)
            }
        }
    }

    /// Records that `keys` were revoked: no commit of a record polled from them goes through any more.
    func revoke(_ keys: [Key]) {
        state.withLock { state in
            for key in keys {
                state.generations[key] = nil
                state.fetched.remove(key)
            }
        }
    }

    /// Records the offsets of a successful commit (librdkafka's offset-commit callback, on the polling thread).
    func committed(_ offsets: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        let entries = UnsafeBufferPointer(start: offsets.pointee.elems, count: Int(offsets.pointee.cnt))
            .filter { $0.err == RD_KAFKA_RESP_ERR_NO_ERROR && $0.offset >= 0 }
            .map { (Key(topic: String(cString: $0.topic), partition: $0.partition), $0.offset) }
        state.withLock { state in for (key, offset) in entries { state.committed[key] = offset } }
    }

    /// The last offset committed for `topic`/`partition`, if any.
    func committedOffset(topic: String, partition: Int32) -> Int64? {
        state.withLock { $0.committed[Key(topic: topic, partition: partition)] }
    }

    /// Records that every partition was revoked.
    func revokeAll() {
        state.withLock { state in
            state.generations.removeAll()
            state.fetched.removeAll()
        }
    }
}
