import Foundation
import RedisCluster
import Testing

@testable import ChatService

/// Seqs and the published watermark on the stack's Redis Cluster, as two instances writing one conversation use them.
@Suite struct SequenceAllocatorTests {
    let redis = RedisTestCluster.main.client()

    /// The conversation's watermark as stored.
    func watermark(_ conversation: String) async throws -> Int64 {
        let key = SequenceAllocator.watermarkKey(conversation)
        return try await redis.pipeline([RedisCommand(["ZSCORE", key, "w"], keys: [key])])[0].integer ?? 0
    }

    @Test func theWatermarkRisesOnlyOverSeqsSettledWithoutAHoleBelow() async throws {
        // The masters forget their scripts: the pipelined calls load the script where it is missing.
        for seed in RedisTestCluster.main.seeds { try RedisTestCluster.cli(seed.port, ["SCRIPT", "FLUSH"]) }
        let allocator = SequenceAllocator(redis: redis)
        let conversation = TestStack.unique("conversation")
        func allocate(_ count: Int) async throws -> SequenceAllocator.Allocation {
            try #require(try await allocator.allocate([(conversation, count)])[conversation])
        }
        // Instance A takes 1…3 and is slow; instance B takes 4…6, then 7…9, and publishes both first.
        let slow = try await allocate(3)
        let first = try await allocate(3)
        let second = try await allocate(3)
        #expect([slow.seqs, first.seqs, second.seqs] == [1...3, 4...6, 7...9])
        try await allocator.recordPublished([(conversation, first.seqs)])
        try await allocator.recordPublished([(conversation, second.seqs)])
        // B's seqs say nothing of A's, which are still being written: the watermark stays below them.
        #expect(try await watermark(conversation) == 0)
        // A's publication closes the hole: everything up to 9 is settled, and the next allocation knows it.
        try await allocator.recordPublished([(conversation, slow.seqs)])
        #expect(try await watermark(conversation) == 9)
        #expect(try await allocate(1).watermark == 9)
        await redis.close()
    }

    @Test func aHoleThatNeverClosesIsGivenUpOnceTooManyRangesWaitAboveIt() async throws {
        let allocator = SequenceAllocator(redis: redis)
        let conversation = TestStack.unique("conversation")
        let lost = try #require(try await allocator.allocate([(conversation, 1)])[conversation])
        #expect(lost.seqs == 1...1)
        var last: Int64 = 1
        for _ in 0..<SequenceAllocator.maximumWaitingRanges {
            let allocation = try #require(try await allocator.allocate([(conversation, 2)])[conversation])
            try await allocator.recordPublished([(conversation, allocation.seqs)])
            last = allocation.seqs.upperBound
        }
        // Seq 1 never settles (its write failed): 64 ranges wait above it, the watermark stays at 0.
        #expect(try await watermark(conversation) == 0)
        // One range more and the hole is given up: the watermark covers everything settled.
        let allocation = try #require(try await allocator.allocate([(conversation, 2)])[conversation])
        try await allocator.recordPublished([(conversation, allocation.seqs)])
        #expect(allocation.seqs.lowerBound == last + 1)
        #expect(try await watermark(conversation) == allocation.seqs.upperBound)
        await redis.close()
    }
}
