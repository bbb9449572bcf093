import Foundation
import RedisCluster
import Synchronization
import Testing

/// The cluster client while the stack's second cluster (`redis-faults`) is resharded, loses a master, or has a node
/// frozen. One test at a time; each leaves the cluster whole again.
@Suite(.serialized, .timeLimit(.minutes(3))) struct RedisClusterFaultTests {
    let cluster = RedisTestCluster.faults

    /// Writes `key-i = i` for i = 0, 1, 2… one after another until stopped; records what was acknowledged.
    final class WriterLoop: Sendable {
        struct Outcome: Sendable {
            let index: Int
            let at: ContinuousClock.Instant
            let error: RedisError?
        }

        let outcomes = Mutex<[Outcome]>([])
        private let task: Mutex<Task<Void, Never>?> = Mutex(nil)
        private let counter = Atomic<Int>(0)
        private let stopping = Atomic<Bool>(false)

        init(client: RedisClusterClient, prefix: String, concurrency: Int = 4) {
            let loop = Task {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<concurrency {
                        group.addTask {
                            // Stops between writes, never by cancelling one in flight.
                            while !self.stopping.load(ordering: .relaxed) {
                                let index = self.counter.wrappingAdd(1, ordering: .relaxed).oldValue
                                let key = "\(prefix):\(index)"
                                var failure: RedisError?
                                do { try await client.set(key, String(index), expiration: .seconds(600)) } catch {
                                    failure = error as? RedisError ?? RedisError(kind: .connection, message: "\(error)")
                                }
                                let outcome = Outcome(index: index, at: .now, error: failure)
                                self.outcomes.withLock { $0.append(outcome) }
                            }
                        }
                    }
                }
            }
            task.withLock { $0 = loop }
        }

        func stop() async {
            stopping.store(true, ordering: .relaxed)
            await task.withLock { $0 }?.value
        }

        var acknowledged: [Outcome] { outcomes.withLock { $0.filter { $0.error == nil } } }
        var failed: [Outcome] { outcomes.withLock { $0.filter { $0.error != nil } } }

        /// Waits until at least `count` more writes were acknowledged (bounded by `timeout`).
        func waitForAcknowledged(_ count: Int, timeout: Duration = .seconds(30)) async throws {
            let target = acknowledged.count + count
            let deadline = ContinuousClock.now + timeout
            while acknowledged.count < target {
                guard ContinuousClock.now < deadline else { throw RedisError(kind: .timeout, message: "writes did not resume") }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    @Test func writesSucceedThroughReshardingAndAskReadsAMigratingKey() async throws {
        let client = cluster.client()
        let prefix = "reshard:\(UUID().uuidString)"
        let writer = WriterLoop(client: client, prefix: prefix)
        try await writer.waitForAcknowledged(200)
        // A second client learns the topology now and sits idle through the reshard.
        let idle = cluster.client()
        try await idle.set("\(prefix):idle", "loaded")

        // Move 300 slots (with their keys) from one master to another while the writer runs.
        let masters = try cluster.nodes().filter(\.isMaster)
        let output = try RedisTestCluster.cli(
            masters[0].port,
            [
                "--cluster", "reshard", "127.0.0.1:\(masters[0].port)", "--cluster-from", masters[0].id,
                "--cluster-to", masters[1].id, "--cluster-slots", "300", "--cluster-yes",
            ])
        #expect(!output.contains("[ERR]"), "\(output)")
        try await cluster.waitUntilNodesAgree()
        try await writer.waitForAcknowledged(200)
        await writer.stop()
        #expect(writer.failed.isEmpty, "\(writer.failed.prefix(5).map { "\($0.error!)" })")
        let values = try await client.mget(writer.acknowledged.map { "\(prefix):\($0.index)" })
        #expect(values == writer.acknowledged.map { String($0.index) })
        print("reshard: \(writer.acknowledged.count) writes acknowledged, \(client.redirectsFollowed) redirects followed")

        // The idle client still routes a moved slot to its old owner: one MOVED, then the new owner directly.
        let movedSlot = try #require(
            masters[0].slots.lazy.flatMap { $0 }.first { slot in
                (try? cluster.master(of: slot).id) == masters[1].id
            })
        let movedKey = "{\(try Self.tag(for: movedSlot))}:after-reshard"
        try await idle.set(movedKey, "moved")
        #expect(idle.redirectsFollowed == 1)
        #expect(try await idle.get(movedKey) == "moved")
        #expect(idle.redirectsFollowed == 1)
        await idle.close()

        // A slot caught mid-migration: one of its keys already moved, the other not. Both are readable.
        let source = try cluster.nodes().first { $0.isMaster && !$0.slots.isEmpty }!
        let target = try cluster.nodes().first { $0.isMaster && $0.id != source.id }!
        let slot = source.slots[0].lowerBound
        let tag = try Self.tag(for: slot)
        let (moved, stayed) = ("{\(tag)}:moved", "{\(tag)}:stayed")
        try await client.set(moved, "over there")
        try await client.set(stayed, "still here")
        try RedisTestCluster.cli(target.port, ["CLUSTER", "SETSLOT", String(slot), "IMPORTING", source.id])
        try RedisTestCluster.cli(source.port, ["CLUSTER", "SETSLOT", String(slot), "MIGRATING", target.id])
        let migrated = try RedisTestCluster.cli(source.port, ["MIGRATE", "127.0.0.1", String(target.port), moved, "0", "5000"])
        #expect(migrated == "OK", "MIGRATE \(moved) from \(source.port) to \(target.port): \(migrated)")
        let redirectsBefore = client.redirectsFollowed
        #expect(try await client.get(moved) == "over there")  // via ASK
        #expect(try await client.get(stayed) == "still here")  // served by the source
        #expect(client.redirectsFollowed == redirectsBefore + 1)
        // Finish the migration: the slot belongs to the target, told first and then the source (as the cluster
        // specification orders it; the other master learns it by gossip); the client follows MOVED from now on.
        // Both must accept it: a node left importing or migrating would break the next test.
        let finished = try RedisTestCluster.cli(source.port, ["MIGRATE", "127.0.0.1", String(target.port), stayed, "0", "5000"])
        #expect(finished == "OK", "MIGRATE \(stayed) from \(source.port) to \(target.port): \(finished)")
        for node in [target, source] {
            #expect(try RedisTestCluster.cli(node.port, ["CLUSTER", "SETSLOT", String(slot), "NODE", target.id]) == "OK")
        }
        #expect(try await client.get(stayed) == "still here")
        #expect(try await client.get(moved) == "over there")
        await client.close()
        try await cluster.waitUntilNodesAgree()
    }

    /// A hash tag whose keys hash to `slot` (`t0`…`t199999` cover all 16,384 slots; `t0`…`t99999` miss 168).
    static func tag(for slot: Int) throws -> String {
        try #require((0..<200_000).lazy.map { "t\($0)" }.first { HashSlot(key: $0).rawValue == slot })
    }

    @Test func writesResumeAfterAMasterIsKilledAndNothingAcknowledgedIsLost() async throws {
        let client = cluster.client(retryDeadlineMilliseconds: 20_000)
        let prefix = "failover:\(UUID().uuidString)"
        let writer = WriterLoop(client: client, prefix: prefix)
        try await writer.waitForAcknowledged(300)

        let victim = try cluster.nodes().first { $0.isMaster && !$0.slots.isEmpty }!
        try await cluster.waitUntilReplicated(victim)
        let killedAt = ContinuousClock.now
        kill(try RedisTestCluster.pid(of: victim.port), SIGKILL)
        try await writer.waitForAcknowledged(2_000)
        await writer.stop()
        defer { try? RedisTestCluster.restoreFaultsCluster() }

        // Errors (commands in flight on the killed node) only inside the failover window.
        let failed = writer.failed
        let lastFailure = failed.map(\.at).max() ?? killedAt
        #expect(failed.allSatisfy { $0.at >= killedAt })
        #expect(lastFailure - killedAt < .seconds(15))
        #expect(failed.allSatisfy { [.connection, .timeout].contains($0.error?.kind) }, "\(failed.map { "\($0.error!)" })")
        // Every acknowledged write is there, except those the dead master acknowledged before its replica had
        // copied them (asynchronous replication): they are counted, and must be only from just before the kill.
        let acknowledged = writer.acknowledged
        let values = try await client.mget(acknowledged.map { "\(prefix):\($0.index)" })
        let lost = zip(acknowledged, values).filter { String($0.0.index) != $0.1 }.map(\.0)
        #expect(lost.allSatisfy { killedAt - $0.at < .milliseconds(500) && $0.at <= killedAt })
        let onVictim = { (outcome: WriterLoop.Outcome) in
            victim.slots.contains { $0.contains(Int(HashSlot(key: "\(prefix):\(outcome.index)").rawValue)) }
        }
        // The failover window: the longest pause between acknowledged writes to the dead master's slots.
        let times = acknowledged.filter(onVictim).map(\.at).sorted()
        let window = zip(times, times.dropFirst()).map { $1 - $0 }.max() ?? .zero
        #expect(times.last! > killedAt + window)
        print(
            "failover: \(acknowledged.count) writes acknowledged, \(failed.count) failed, \(lost.count) lost to async replication; writes to the dead master's slots paused \(window)"
        )
        await client.close()
    }

    @Test func aFrozenNodeGivesTimeoutsWithinTheBound() async throws {
        let client = cluster.client(commandTimeoutMilliseconds: 300, retryDeadlineMilliseconds: 1000)
        let key = "frozen:\(UUID().uuidString)"
        try await client.set(key, "x")
        let owner = try cluster.master(of: Int(HashSlot(key: key).rawValue))
        let pid = try RedisTestCluster.pid(of: owner.port)
        kill(pid, SIGSTOP)
        defer { kill(pid, SIGCONT) }
        let started = ContinuousClock.now
        await #expect { try await client.get(key) } throws: { ($0 as? RedisError)?.kind == .timeout }
        let waited = ContinuousClock.now - started
        kill(pid, SIGCONT)
        // The timeout, plus at most one check interval, plus scheduling slack.
        #expect(waited < .milliseconds(700), "waited \(waited)")
        #expect(waited >= .milliseconds(300))
        // The node is back before the cluster would fail it over; a new connection serves the key again.
        #expect(try await client.get(key) == "x")
        await client.close()
    }

    @Test func aShardedSubscriptionSurvivesTheDeathOfItsMaster() async throws {
        let client = cluster.client(retryDeadlineMilliseconds: 20_000)
        let channel = "room:\(UUID().uuidString)"
        let subscription = try await client.ssubscribe(channel)
        try await client.spublish(channel, "before")
        var iterator = subscription.makeAsyncIterator()
        #expect(await iterator.next()?.text == "before")

        let owner = try cluster.master(of: Int(HashSlot(key: channel).rawValue))
        try await cluster.waitUntilReplicated(owner)
        kill(try RedisTestCluster.pid(of: owner.port), SIGKILL)
        defer { try? RedisTestCluster.restoreFaultsCluster() }
        // Publish until the resubscribed subscription hears one (messages during the gap are lost: at most once),
        // for at most 30 s.
        let heard = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                for await message in subscription where message.text.hasPrefix("after") { return message.text }
                return nil
            }
            group.addTask {
                for attempt in 0..<300 {
                    _ = try? await client.spublish(channel, "after \(attempt)")
                    try await Task.sleep(for: .milliseconds(100))
                }
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        #expect(heard?.hasPrefix("after") == true, "no message after the failover within 30 s")
        #expect(try cluster.master(of: Int(HashSlot(key: channel).rawValue)).port != owner.port)
        subscription.cancel()
        await client.close()
    }
}
