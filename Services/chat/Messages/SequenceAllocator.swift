import RedisCluster

/// Hands out each conversation's `seq` values from a Redis counter (`chat:seq:{<conversationId>}`), several at a
/// time for a batch, and keeps each conversation's *published watermark*: every seq at or below it was published to
/// Kafka (or never will be), the score of the one member of `chat:published:{<conversationId>}`. An allocation reads
/// the watermark in the same round trip, so every message knows which lower seqs were published before it and which
/// were still being written (see ``SequenceReorderer``).
///
/// Several instances write one conversation at once, each acknowledging its own batches, so one instance's published
/// seqs say nothing of the lower seqs another is still writing: the watermark rises only over a contiguous run.
/// A batch's settled range that starts above the watermark waits in `chat:published-ranges:{<conversationId>}` until
/// the ranges below it are settled (at most ``maximumWaitingRanges``; past that the lowest hole is given up, as the
/// reorderer gives it up after its wait).
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
    static func waitingRangesKey(_ conversationId: String) -> String { "chat:published-ranges:{\(conversationId)}" }
    /// Settled ranges kept above a hole before the hole is given up.
    static let maximumWaitingRanges = 64

    /// `count` consecutive new seqs for each conversation, with its watermark, in one pipelined round trip.
    func allocate(_ counts: [(conversationId: String, count: Int)]) async throws -> [String: Allocation] {
        let replies = try await redis.pipeline(
            counts.flatMap { request -> [RedisCommand] in
                let counter = Self.key(request.conversationId)
                let watermark = Self.watermarkKey(request.conversationId)
                return [
                    RedisCommand(["INCRBY", counter, String(request.count)], keys: [counter]),
                    RedisCommand(["ZSCORE", watermark, "w"], keys: [watermark]),
                ]
            })
        var allocations: [String: Allocation] = [:]
        for (index, request) in counts.enumerated() {
            let counter = replies[2 * index]
            let watermark = replies[2 * index + 1]
            guard let last = counter.integer else { throw RedisError(kind: .server, message: "INCRBY answered \(counter)") }
            allocations[request.conversationId] = Allocation(
                seqs: (last - Int64(request.count) + 1)...last, watermark: watermark.integer ?? 0)
        }
        return allocations
    }

    /// Records that each conversation's `seqs` are settled (published, or never to be) once Kafka acknowledged the
    /// batch, raising its watermark over every contiguous settled run; one script per conversation, in one pipeline.
    func recordPublished(_ settled: [(conversationId: String, seqs: ClosedRange<Int64>)]) async throws {
        guard !settled.isEmpty else { return }
        try await redis.evaluate(
            Self.settle,
            each: settled.map { entry in
                (
                    keys: [Self.watermarkKey(entry.conversationId), Self.waitingRangesKey(entry.conversationId)],
                    arguments: [
                        String(entry.seqs.lowerBound), String(entry.seqs.upperBound), String(Self.maximumWaitingRanges),
                        String(Self.waitingRangesLifetimeMilliseconds),
                    ]
                )
            })
    }

    /// Waiting ranges of a conversation without writes are forgotten after the reorderer's memory of it (10 minutes).
    static let waitingRangesLifetimeMilliseconds = 600_000

    /// KEYS[1]: the watermark (member `w`), KEYS[2]: the waiting ranges (member `lo:hi`, score lo); ARGV: lo, hi, the
    /// most waiting ranges, their lifetime. Returns the watermark.
    private static let settle = RedisScript(
        """
        local watermark = tonumber(redis.call('ZSCORE', KEYS[1], 'w') or '0')
        local lo, hi = tonumber(ARGV[1]), tonumber(ARGV[2])
        if hi <= watermark then return watermark end
        if lo > watermark + 1 then
            redis.call('ZADD', KEYS[2], lo, lo .. ':' .. hi)
            redis.call('PEXPIRE', KEYS[2], ARGV[4])
            if redis.call('ZCARD', KEYS[2]) <= tonumber(ARGV[3]) then return watermark end
            local lowest = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
            redis.call('ZREM', KEYS[2], lowest)
            hi = tonumber(string.match(lowest, ':(%d+)$'))
        end
        if hi > watermark then watermark = hi end
        while true do
            local next = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', watermark + 1, 'LIMIT', 0, 1)[1]
            if not next then break end
            redis.call('ZREM', KEYS[2], next)
            local last = tonumber(string.match(next, ':(%d+)$'))
            if last > watermark then watermark = last end
        end
        redis.call('ZADD', KEYS[1], 'GT', watermark, 'w')
        return watermark
        """)

    /// Raises the counter to at least `minimum` (never lowers it).
    func reseed(_ conversationId: String, atLeast minimum: Int64) async throws {
        try await redis.evaluate(Self.raise, keys: [Self.key(conversationId)], arguments: [String(minimum)])
    }

    /// Sets the counter `KEYS[1]` to `ARGV[1]` unless it already holds as much.
    private static let raise = RedisScript(
        """
        local current = tonumber(redis.call('GET', KEYS[1]) or '0')
        if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
        return 1
        """)
}
