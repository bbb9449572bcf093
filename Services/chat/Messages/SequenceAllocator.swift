import RedisCluster

/// Hands out each conversation's `seq` values from a Redis counter (`chat:seq:{<conversationId>}`), several at a
/// time for a batch.
///
/// Redis replication is asynchronous: after a failover the counter can be behind what was stored. The message
/// store's unique index on `(conversationId, seq)` catches the repeat; then ``reseed(_:atLeast:)`` moves the counter
/// past the stored maximum and the message is retried, so a stored seq never repeats or goes backwards.
struct SequenceAllocator: Sendable {
    let redis: RedisClusterClient

    static func key(_ conversationId: String) -> String { "chat:seq:{\(conversationId)}" }

    /// `count` consecutive new seqs for each conversation, in one pipelined round trip.
    func allocate(_ counts: [(conversationId: String, count: Int)]) async throws -> [String: ClosedRange<Int64>] {
        let replies = try await redis.pipeline(counts.map {
            RedisCommand(["INCRBY", Self.key($0.conversationId), String($0.count)], keys: [Self.key($0.conversationId)])
        })
        var ranges: [String: ClosedRange<Int64>] = [:]
        for (request, reply) in zip(counts, replies) {
            guard let last = reply.integer else { throw RedisError(kind: .server, message: "INCRBY answered \(reply)") }
            ranges[request.conversationId] = (last - Int64(request.count) + 1)...last
        }
        return ranges
    }

    /// Raises the counter to at least `minimum` (never lowers it).
    func reseed(_ conversationId: String, atLeast minimum: Int64) async throws {
        try await redis.evaluate(Self.raise, keys: [Self.key(conversationId)], arguments: [String(minimum)])
    }

    private static let raise = RedisScript("""
        local current = tonumber(redis.call('GET', KEYS[1]) or '0')
        if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
        return 1
        """)
}
