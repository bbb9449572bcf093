import Foundation
import RedisCluster
import ServiceKit
import Testing

@testable import ChatService

/// The per-user send budget on the stack's Redis Cluster: leases taken from one shared bucket.
@Suite struct SendBudgetTests {
    let redis = RedisTestCluster.main.client()

    /// The bucket's stored fields: tokens left and when the script last ran (ms).
    func bucket(_ prefix: String, _ user: String) async throws -> (tokens: Double, at: Int64) {
        let key = "\(prefix):{\(user)}"
        let fields = try await redis.pipeline([RedisCommand(["HMGET", key, "tokens", "at"], keys: [key])])[0].array ?? []
        return (Double(fields.first?.string ?? "") ?? -1, Int64(fields.last?.string ?? "") ?? -1)
    }

    @Test func aFastSenderCostsOneScriptPerLease() async throws {
        let prefix = TestStack.unique("budget")
        let budget = SendBudget(limiter: RateLimiter(redis: redis, prefix: prefix), perSecond: 40, burst: 20)
        #expect(budget.leaseSize == 10)
        #expect(try await budget.take(for: "u"))
        let leased = try await bucket(prefix, "u")
        #expect(leased.tokens == 10, "the first send leased 10 of the bucket's 20 tokens")
        for _ in 2...10 { #expect(try await budget.take(for: "u")) }
        #expect(try await bucket(prefix, "u").at == leased.at, "the lease's nine other sends never ran the script")
        // The eleventh needs a new lease: the script runs again (the bucket's time or its tokens change).
        #expect(try await budget.take(for: "u"))
        let released = try await bucket(prefix, "u")
        #expect(released.at > leased.at || released.tokens != leased.tokens, "the eleventh send took a new lease")
        await redis.close()
    }

    @Test func instancesTogetherNeverSpendMoreThanTheBucket() async throws {
        let prefix = TestStack.unique("budget")
        let instances = (0..<2).map { _ in SendBudget(limiter: RateLimiter(redis: redis, prefix: prefix), perSecond: 40, burst: 20) }
        let started = ContinuousClock.now
        var allowed = 0
        for attempt in 0..<100 where try await instances[attempt % 2].take(for: "u") { allowed += 1 }
        let elapsed = (ContinuousClock.now - started) / .seconds(1)
        // The burst, plus what refilled meanwhile at 40 a second.
        #expect(allowed >= 20 && Double(allowed) <= 20 + elapsed * 40 + 1, "allowed \(allowed) in \(elapsed) s")
        await redis.close()
    }
}
