/// Which shard (a master and its replicas) serves each hash slot.
struct ClusterTopology: Sendable {
    /// A master and the replicas that copy it.
    struct Shard: Sendable, Equatable {
        var master: NodeAddress
        var replicas: [NodeAddress]
    }

    private(set) var shards: [Shard] = []
    /// Index into `shards` for each slot, or -1 when no shard serves it.
    private var owners = [Int16](repeating: -1, count: HashSlot.count)

    init(shards: [(Shard, [ClosedRange<Int>])]) {
        for (shard, ranges) in shards {
            let index = Int16(self.shards.count)
            self.shards.append(shard)
            for range in ranges { for slot in range where slot < HashSlot.count { owners[slot] = index } }
        }
    }

    /// The shard serving `slot`, if any.
    func shard(for slot: HashSlot) -> Shard? {
        let index = owners[Int(slot.rawValue)]
        return index < 0 ? nil : shards[Int(index)]
    }

    /// Records a `MOVED`: `slot` is now served by `master` (a known shard's master, or a new shard).
    mutating func move(_ slot: HashSlot, to master: NodeAddress) {
        if let index = shards.firstIndex(where: { $0.master == master }) {
            owners[Int(slot.rawValue)] = Int16(index)
        } else {
            owners[Int(slot.rawValue)] = Int16(shards.count)
            shards.append(Shard(master: master, replicas: []))
        }
    }

    /// Whether every slot has an owner.
    var coversAllSlots: Bool { !owners.contains(-1) }

    var masters: [NodeAddress] { shards.map(\.master) }

    // MARK: Parsing

    /// Parses `CLUSTER SHARDS` (Redis 7): per shard, `slots` as flat start/end pairs and `nodes` as field maps.
    /// Nodes whose `health` is not `online` are left out; a shard without an online master serves nothing.
    /// A TLS client connects to each node's `tls-port` (a TLS-only node reports no `port`), falling back to `port`.
    init(clusterShardsReply reply: RESPValue, defaultHost: String, tls: Bool = false) throws {
        guard let entries = reply.array else { throw Self.unexpected("CLUSTER SHARDS", reply) }
        var parsed: [(Shard, [ClosedRange<Int>])] = []
        for entry in entries {
            let fields = Self.fieldMap(entry)
            guard let slotBounds = fields["slots"]?.array, let nodes = fields["nodes"]?.array else {
                throw Self.unexpected("CLUSTER SHARDS", entry)
            }
            var master: NodeAddress?
            var replicas: [NodeAddress] = []
            for node in nodes {
                let node = Self.fieldMap(node)
                let port = tls ? (node["tls-port"] ?? node["port"])?.integer : node["port"]?.integer
                guard node["health"]?.string == "online", let port else { continue }
                let host = [node["endpoint"], node["ip"]].compactMap { $0?.string }.first { !$0.isEmpty && $0 != "?" } ?? defaultHost
                let address = NodeAddress(host: host, port: Int(port))
                if node["role"]?.string == "master" { master = address } else { replicas.append(address) }
            }
            guard let master else { continue }
            let bounds = slotBounds.compactMap(\.integer).map(Int.init)
            let ranges = stride(from: 0, to: bounds.count - 1, by: 2).map { bounds[$0]...bounds[$0 + 1] }
            if !ranges.isEmpty { parsed.append((Shard(master: master, replicas: replicas), ranges)) }
        }
        self.init(shards: parsed)
    }

    /// Parses `CLUSTER SLOTS`: `[[start, end, [host, port, id], replicas...], ...]`.
    init(clusterSlotsReply reply: RESPValue, defaultHost: String) throws {
        guard let ranges = reply.array else { throw Self.unexpected("CLUSTER SLOTS", reply) }
        var parsed: [(Shard, [ClosedRange<Int>])] = []
        for range in ranges {
            guard let fields = range.array, fields.count >= 3,
                let start = fields[0].integer, let end = fields[1].integer
            else { throw Self.unexpected("CLUSTER SLOTS", range) }
            let nodes = fields[2...].compactMap { node -> NodeAddress? in
                guard let parts = node.array, parts.count >= 2, let port = parts[1].integer else { return nil }
                let host = parts[0].string.flatMap { $0.isEmpty ? nil : $0 } ?? defaultHost
                return NodeAddress(host: host, port: Int(port))
            }
            guard let master = nodes.first else { throw Self.unexpected("CLUSTER SLOTS", range) }
            parsed.append((Shard(master: master, replicas: Array(nodes.dropFirst())), [Int(start)...Int(end)]))
        }
        self.init(shards: parsed)
    }

    private static func fieldMap(_ value: RESPValue) -> [String: RESPValue] {
        guard let items = value.array else { return [:] }
        var map: [String: RESPValue] = [:]
        for index in stride(from: 0, to: items.count - 1, by: 2) {
            if let name = items[index].string { map[name] = items[index + 1] }
        }
        return map
    }

    private static func unexpected(_ command: String, _ reply: RESPValue) -> RedisError {
        RedisError(kind: .protocolError, message: "unexpected \(command) reply \(reply)")
    }
}
