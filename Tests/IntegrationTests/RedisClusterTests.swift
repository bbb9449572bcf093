import Foundation
import NIOPosix
import RedisCluster
import Testing

/// The cluster client against the stack's 6-node Redis Cluster: routing, pipelines, the typed commands, scripts.
@Suite(.timeLimit(.minutes(5))) struct RedisClusterTests {
    let cluster = RedisTestCluster.main

    @Test func tenThousandKeysRouteToTheirOwnersWithoutRedirects() async throws {
        // Thousands of replies in one read keep an event loop of a debug build busy for a few hundred milliseconds:
        // a loop of its own keeps that from delaying the commands of the tests running beside this one. With every
        // suite running at once on two cores, 10,000 commands in one pipeline can outlast the usual 1 s timeout
        // (seen on clean runs): this test checks routing, so its client waits longer.
        let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = cluster.client(commandTimeoutMilliseconds: 10_000, eventLoopGroup: loop)
        let keys = (0..<10_000).map { index in
            // A mix of plain keys and hash-tagged ones, some with empty tags.
            switch index % 4 {
            case 0: "route:\(UUID().uuidString)"
            case 1: "{user:\(index % 97)}:route:\(index)"
            case 2: "route{}:\(index){tag}"
            default: "\(Int.random(in: 0..<1_000_000_000))"
            }
        }
        // The server agrees with our hashing for every key.
        let serverSlots = try await client.pipeline(keys.map { RedisCommand(["CLUSTER", "KEYSLOT", $0]) })
        #expect(serverSlots.map(\.integer) == keys.map { Int64(HashSlot(key: $0).rawValue) })

        // Once the topology is known, every command lands on the owner: no MOVED, no ASK.
        let before = client.redirectsFollowed
        let written = try await client.pipeline(keys.map { RedisCommand(["SET", $0, "v:\($0)", "EX", "120"], keys: [$0]) })
        #expect(written.allSatisfy { $0 == .simpleString("OK") })
        try await withThrowingTaskGroup(of: Void.self) { group in
            for chunk in stride(from: 0, to: keys.count, by: 500) {
                group.addTask {
                    for key in keys[chunk..<min(chunk + 500, keys.count)] {
                        guard try await client.get(key) == "v:\(key)" else { throw RedisError(kind: .server, message: "lost \(key)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(client.redirectsFollowed == before)
        await client.close()
        try await loop.shutdownGracefully()
    }

    @Test func crossSlotCommandsFailBeforeSendingAndHelpersSplitThem() async throws {
        let client = cluster.client()
        let keys = (0..<50).map { "multi:\($0):\(UUID().uuidString)" }
        #expect(Set(keys.map { HashSlot(key: $0) }).count > 1)
        await #expect { try await client.send(RedisCommand(["MGET"] + keys, keys: keys)) } throws: { error in
            (error as? RedisError)?.kind == .crossSlot
        }
        try await client.mset(keys.map { ($0, "value \($0)") })
        let values = try await client.mget(keys + ["multi:missing:\(UUID().uuidString)"])
        #expect(values == keys.map { "value \($0)" } + [nil])
        #expect(try await client.delete(keys) == keys.count)
        #expect(try await client.mget(keys).allSatisfy { $0 == nil })
        // Keys sharing a hash tag may go together.
        let tagged = ["{multi}a", "{multi}b"]
        try await client.send(RedisCommand(["MSET", tagged[0], "1", tagged[1], "2"], keys: tagged))
        #expect(try await client.mget(tagged) == ["1", "2"])
        try await client.delete(tagged)
        await client.close()
    }

    @Test func typedCommandsDoWhatTheirRedisCommandsDo() async throws {
        let client = cluster.client()
        let key = "typed:\(UUID().uuidString)"
        #expect(try await client.set(key, "a", expiration: .seconds(60), condition: .ifNotExists))
        #expect(try await !client.set(key, "b", condition: .ifNotExists))
        #expect(try await client.get(key) == "a")
        #expect((1...60).contains(try await client.ttl(key)))
        #expect(try await client.set(key, "c", expiration: .milliseconds(30_000), condition: .ifExists))
        #expect(try await client.get(key) == "c")
        #expect(try await client.expire(key, seconds: 5))
        #expect(try await client.ttl(key) <= 5)

        let counter = "typed:counter:\(UUID().uuidString)"
        #expect(try await client.increment(counter) == 1)
        #expect(try await client.increment(counter, by: 41) == 42)
        await #expect { try await client.increment(key) } throws: { ($0 as? RedisError)?.kind == .server }

        let hash = "typed:hash:\(UUID().uuidString)"
        #expect(try await client.hset(hash, [("name", "ada"), ("visits", "1")]) == 2)
        #expect(try await client.hincrby(hash, "visits", by: 2) == 3)
        #expect(try await client.hgetall(hash) == ["name": "ada", "visits": "3"])
        #expect(try await client.hdel(hash, ["name"]) == 1)
        #expect(try await client.hget(hash, "name") == nil)

        let set = "typed:set:\(UUID().uuidString)"
        #expect(try await client.sadd(set, ["a", "b", "a"]) == 2)
        #expect(try await client.sismember(set, "a"))
        #expect(try await client.srem(set, ["a"]) == 1)
        #expect(try await client.smembers(set) == ["b"])

        let sorted = "typed:zset:\(UUID().uuidString)"
        #expect(try await client.zadd(sorted, [(3, "c"), (1, "a"), (2, "b")]) == 3)
        #expect(try await client.zrange(sorted, from: 0, to: -1).map(\.member) == ["a", "b", "c"])
        #expect(try await client.zscore(sorted, "b") == 2)
        #expect(try await client.zremrangebyscore(sorted, min: "-inf", max: "1") == 1)
        #expect(try await client.zrem(sorted, ["c"]) == 1)
        #expect(try await client.zrange(sorted, from: 0, to: -1).map(\.member) == ["b"])
        try await client.delete([key, counter, hash, set, sorted])
        await client.close()
    }

    @Test func scriptsLoadThemselvesWhereTheyAreMissing() async throws {
        let client = cluster.client()
        // A unique script body, so no node can have it cached yet.
        let script = RedisScript("-- \(UUID().uuidString)\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])")
        let key = "script:\(UUID().uuidString)"
        let owner = try cluster.master(of: Int(HashSlot(key: key).rawValue))
        #expect(try RedisTestCluster.cli(owner.port, ["SCRIPT", "EXISTS", script.sha1]) == "0")
        #expect(try await client.evaluate(script, keys: [key], arguments: ["5"]) == .integer(5))
        #expect(try RedisTestCluster.cli(owner.port, ["SCRIPT", "EXISTS", script.sha1]) == "1")
        #expect(try await client.evaluate(script, keys: [key], arguments: ["5"]) == .integer(10))
        await #expect { try await client.evaluate(script, keys: [key, "other:\(UUID().uuidString)"]) } throws: { error in
            (error as? RedisError)?.kind == .crossSlot
        }
        try await client.delete([key])
        await client.close()
    }

    @Test func replicaReadsSeeTheMastersWrites() async throws {
        let client = cluster.client(readFromReplicas: true)
        let key = "replica:\(UUID().uuidString)"
        try await client.set(key, "copied", expiration: .seconds(60))
        // Replication is asynchronous: wait for the replica with WAIT on the master, then read there.
        let acknowledged = try await client.send(RedisCommand(["WAIT", "1", "1000"], keys: [key]))
        #expect(acknowledged == .integer(1))
        // A replica whose master had taken no write yet is still `loading` in CLUSTER SHARDS, so the topology the
        // client loaded for the first command may lack it; reload it now that the replica is in sync.
        try await client.refreshTopology()
        let master = try cluster.master(of: Int(HashSlot(key: key).rawValue))
        let replica = try #require(try cluster.nodes().first { $0.masterId == master.id })
        let readsBefore = try RedisTestCluster.calls(of: "get", on: replica.port)
        #expect(try await client.get(key) == "copied")
        #expect(try RedisTestCluster.calls(of: "get", on: replica.port) == readsBefore + 1)
        await client.close()
    }

    @Test func shardedPubSubDeliversOnTheChannelsShard() async throws {
        let client = cluster.client()
        let channel = "events:\(UUID().uuidString)"
        let subscription = try await client.ssubscribe(channel)
        // Once ssubscribe returned, the server knows the subscriber (and the loop below cannot wait forever).
        try #require(try await client.spublish(channel, "hello") == 1)
        try #require(try await client.spublish(channel, "world") == 1)
        var received: [String] = []
        for await message in subscription {
            received.append(message.text)
            if received.count == 2 { break }
        }
        #expect(received == ["hello", "world"])
        subscription.cancel()
        await client.close()
    }
}
