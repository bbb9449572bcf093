import RedisCluster

/// Hands out each conversation's `seq` values from a Redis counter (`chat:seq:{<conversationId>}`), several at a
/// time for a batch, and keeps each conversation's *published watermark*: the highest seq Kafka acknowledged, as the
/// score of the one member of `chat:published:{<conversationId>}` (`ZADD … GT` only ever raises it). An allocation reads the watermark in the same round trip, so every message knows
/// which lower seqs were published before it and which were still being written (see ``SequenceReorderer``).
///
/// Redis replication is asynchronous: after a failover the counter can be behind what was stored. The message
/// store's unique index on `(conversationId, seq)` catches the repeat; then ``reseed(_:atLeast:)`` moves the counter
/// past the stored maximum and the message is retried, so a stored seq never repeats or goes backwards. A watermark
/// that lost state is only lower, which makes readers wait more, never less.
struct SequenceAllocator: Sendable {
    let redis: RedisClusterClient

    /// Seqs allocated to one conversation for a batch.
    struct Allocation: Sendable, Equatable {
        let seqs: ClosedRange<Int64>
        /// Every seq up to this one was published before the allocation (0: none known).
        let watermark: Int64
    }

    static func key(_ conversationId: String) -> String { "chat:seq:{\(conversationId)}" }
    static func watermarkKey(_ conversationId: String) -> String { "chat:published:{\(conversationId)}" }

    /// `count` consecutive new seqs for each conversation, with its watermark, in one pipelined round trip.
    func allocate(_ counts: [(conversationId: String, count: Int)]) async throws -> [String: Allocation] {
        let replies = try await redis.pipeline(counts.flatMap { request -> [RedisCommand] in
            let counter = Self.key(request.conversationId), watermark = Self.watermarkKey(request.conversationId)
            return [RedisCommand(["INCRBY", counter, String(request.count)], keys: [counter]),
                    RedisCommand(["ZSCORE", watermark, "w"], keys: [watermark])]
        })
        var allocations: [String: Allocation] = [:]
        for (index, request) in counts.enumerated() {
            let counter = replies[2 * index], watermark = replies[2 * index + 1]
            guard let last = counter.integer else { throw RedisError(kind: .server, message: "INCRBY answered \(counter)") }
            allocations[request.conversationId] = Allocation(
                seqs: (last - Int64(request.count) + 1)...last, watermark: watermark.integer ?? 0)
        }
        return allocations
    }

    /// Raises each conversation's watermark to `seq` (never lowers it), once Kafka acknowledged every message up to
    /// it that this instance wrote; one round trip.
    func recordPublished(_ latest: [(conversationId: String, seq: Int64)]) async throws {
        let replies = try await redis.pipeline(latest.map { entry in
            let key = Self.watermarkKey(entry.conversationId)
            return RedisCommand(["ZADD", key, "GT", String(entry.seq), "w"], keys: [key])
        })
        if let failure = replies.first(where: \.isError) { throw RedisError(kind: .server, message: "ZADD answered \(failure)") }
    }

    /// Raises the counter to at least `minimum` (never lowers it).
    func reseed(_ conversationId: String, atLeast minimum: Int64) async throws {
        try await redis.evaluate(Self.raise, keys: [Self.key(conversationId)], arguments: [String(minimum)])
    }

    /// Sets the counter `KEYS[1]` to `ARGV[1]` unless it already holds as much.
    private static let raise = RedisScript("""
        local current = tonumber(redis.call('GET', KEYS[1]) or '0')
        if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
        return 1
        """)
}
