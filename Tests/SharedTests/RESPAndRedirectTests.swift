import NIOCore
import Testing

@testable import RedisCluster

/// RESP written by the client and read through hiredis's reader, and how cluster error replies are read.
@Suite struct RESPAndRedirectTests {
    @Test func commandsAreFormattedAsRESPArrays() {
        var buffer = ByteBuffer()
        buffer.writeRESP(RedisCommand(["SET", "k", "välue", ""], keys: ["k"]))
        #expect(String(buffer: buffer) == "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\nvälue\r\n$0\r\n\r\n")
    }

    @Test func repliesArriveWhateverTheChunking() throws {
        let wire = Array("+OK\r\n:42\r\n$5\r\nhello\r\n$-1\r\n*2\r\n$1\r\na\r\n-ERR bad\r\n".utf8)
        for chunk in [1, 3, wire.count] {
            let reader = try RESPReplyReader()
            var replies: [RESPValue] = []
            for start in stride(from: 0, to: wire.count, by: chunk) {
                try wire[start..<min(start + chunk, wire.count)].withUnsafeBytes { try reader.feed($0) }
                while let reply = try reader.next() { replies.append(reply) }
            }
            #expect(
                replies == [
                    .simpleString("OK"), .integer(42), .bulkString(Array("hello".utf8)), .null,
                    .array([.bulkString([UInt8(ascii: "a")]), .error("ERR bad")]),
                ])
        }
    }

    @Test func malformedBytesAreAProtocolError() throws {
        let reader = try RESPReplyReader()
        #expect(throws: RedisError.self) {
            try Array("?nonsense\r\n".utf8).withUnsafeBytes { try reader.feed($0) }
            _ = try reader.next()
        }
    }

    @Test func clusterRepliesAreClassified() {
        guard case .moved(let slot, let address) = ClusterReply(.error("MOVED 3999 127.0.0.1:6381")) else {
            Issue.record("MOVED not recognised")
            return
        }
        #expect(slot.rawValue == 3999 && address == NodeAddress(host: "127.0.0.1", port: 6381))
        guard case .ask(let target) = ClusterReply(.error("ASK 3999 10.0.0.2:7001")) else {
            Issue.record("ASK not recognised")
            return
        }
        #expect(target == NodeAddress(host: "10.0.0.2", port: 7001))
        for transient in [
            "TRYAGAIN Multiple keys request during rehashing of slot", "CLUSTERDOWN The cluster is down", "LOADING",
            "MASTERDOWN Link with MASTER is down",
        ] {
            guard case .transient = ClusterReply(.error(transient)) else {
                Issue.record("\(transient) not transient")
                continue
            }
        }
        guard case .result = ClusterReply(.error("WRONGTYPE Operation against a key holding the wrong kind of value")) else {
            Issue.record("an ordinary error is a result")
            return
        }
    }

    @Test func clusterSlotsRepliesBecomeATopology() throws {
        let reply = RESPValue.array([
            .array([
                .integer(0), .integer(5460), .array([.bulkString(Array("127.0.0.1".utf8)), .integer(7000)]),
                .array([.bulkString(Array("127.0.0.1".utf8)), .integer(7003)]),
            ]),
            .array([.integer(5461), .integer(16383), .array([.bulkString([]), .integer(7001)])]),
        ])
        let topology = try ClusterTopology(clusterSlotsReply: reply, defaultHost: "10.1.1.1")
        #expect(topology.coversAllSlots)
        #expect(
            topology.shard(for: HashSlot(rawValue: 100)!)
                == .init(master: NodeAddress(host: "127.0.0.1", port: 7000), replicas: [NodeAddress(host: "127.0.0.1", port: 7003)]))
        #expect(topology.shard(for: HashSlot(rawValue: 9000)!)?.master == NodeAddress(host: "10.1.1.1", port: 7001))
    }

    /// A TLS-only node (`port 0`, `tls-cluster yes`) reports `tls-port` and no `port` in `CLUSTER SHARDS`; a node
    /// keeping a plaintext port beside it (a move to TLS under way) reports both.
    @Test func tlsClientsUseEachNodesTLSPort() throws {
        func node(_ fields: [(String, RESPValue)]) -> RESPValue {
            .array(fields.flatMap { [RESPValue.bulkString(Array($0.0.utf8)), $0.1] })
        }
        func text(_ value: String) -> RESPValue { .bulkString(Array(value.utf8)) }
        let reply = RESPValue.array([
            node([
                ("slots", .array([.integer(0), .integer(8191)])),
                (
                    "nodes",
                    .array([
                        node([
                            ("id", text("a")), ("tls-port", .integer(7500)), ("ip", text("127.0.0.1")), ("role", text("master")),
                            ("health", text("online")),
                        ]),
                        node([
                            ("id", text("b")), ("tls-port", .integer(7503)), ("ip", text("127.0.0.1")), ("role", text("replica")),
                            ("health", text("online")),
                        ]),
                    ])
                ),
            ]),
            node([
                ("slots", .array([.integer(8192), .integer(16383)])),
                (
                    "nodes",
                    .array([
                        node([
                            ("id", text("c")), ("port", .integer(6380)), ("tls-port", .integer(6379)), ("ip", text("10.0.0.2")),
                            ("role", text("master")), ("health", text("online")),
                        ])
                    ])
                ),
            ]),
        ])
        let tls = try ClusterTopology(clusterShardsReply: reply, defaultHost: "127.0.0.1", tls: true)
        #expect(tls.coversAllSlots)
        #expect(
            tls.shard(for: HashSlot(rawValue: 0)!)
                == .init(master: NodeAddress(host: "127.0.0.1", port: 7500), replicas: [NodeAddress(host: "127.0.0.1", port: 7503)]))
        #expect(tls.shard(for: HashSlot(rawValue: 9000)!)?.master == NodeAddress(host: "10.0.0.2", port: 6379))
        // A plaintext client cannot use a TLS-only node at all, and uses the plaintext port of the other.
        let plaintext = try ClusterTopology(clusterShardsReply: reply, defaultHost: "127.0.0.1")
        #expect(plaintext.shard(for: HashSlot(rawValue: 0)!) == nil)
        #expect(plaintext.shard(for: HashSlot(rawValue: 9000)!)?.master == NodeAddress(host: "10.0.0.2", port: 6380))
    }

    @Test func theTLSServerNameIsNilForIPAddresses() {
        #expect(NodeAddress(host: "10.0.1.10", port: 6379).tlsServerName == nil)
        #expect(NodeAddress(host: "::1", port: 6379).tlsServerName == nil)
        #expect(NodeAddress(host: "redis.internal.example", port: 6379).tlsServerName == "redis.internal.example")
    }
}
