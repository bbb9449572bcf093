/// Which master serves each hash slot, as learned from `CLUSTER SLOTS`.
struct SlotMap: Sendable {
    private var owners: [NodeAddress?] = Array(repeating: nil, count: HashSlot.count)

    subscript(slot: HashSlot) -> NodeAddress? {
        get { owners[Int(slot.rawValue)] }
        set { owners[Int(slot.rawValue)] = newValue }
    }

    /// Builds the map from a `CLUSTER SLOTS` reply: `[[start, end, [host, port, id], replicas...], ...]`.
    init(clusterSlotsReply reply: RESPValue, defaultHost: String) throws {
        guard let ranges = reply.array else {
            throw RedisError(kind: .server, message: "unexpected CLUSTER SLOTS reply \(reply)")
        }
        for range in ranges {
            guard let fields = range.array, fields.count >= 3,
                  let start = fields[0].integer, let end = fields[1].integer,
                  let master = fields[2].array, master.count >= 2,
                  let port = master[1].integer
            else { throw RedisError(kind: .server, message: "unexpected CLUSTER SLOTS entry \(range)") }
            let host = master[0].string.flatMap { $0.isEmpty ? nil : $0 } ?? defaultHost
            for slot in Int(start)...Int(end) { owners[slot] = NodeAddress(host: host, port: Int(port)) }
        }
    }

    /// The distinct masters in the map.
    var masters: Set<NodeAddress> { Set(owners.compactMap { $0 }) }
}
