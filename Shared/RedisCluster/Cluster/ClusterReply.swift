/// How the cluster answered a routed command: a result, a redirect to follow, or a transient state to wait out.
enum ClusterReply {
    /// Any reply that is not a cluster condition (including ordinary error replies).
    case result(RESPValue)
    /// `MOVED slot host:port`: the slot now lives there for good.
    case moved(HashSlot, NodeAddress)
    /// `ASK slot host:port`: only this command goes there, preceded by `ASKING`.
    case ask(NodeAddress)
    /// `TRYAGAIN`, `CLUSTERDOWN`, `LOADING`, `MASTERDOWN`: retry after a pause.
    case transient(String)

    init(_ reply: RESPValue) {
        guard case .error(let message) = reply else {
            self = .result(reply)
            return
        }
        let parts = message.split(separator: " ")
        switch parts.first {
        case "MOVED", "ASK":
            guard parts.count == 3, let slotNumber = Int(parts[1]), let slot = HashSlot(rawValue: slotNumber),
                let address = NodeAddress(String(parts[2]))
            else {
                self = .result(reply)
                return
            }
            self = parts[0] == "MOVED" ? .moved(slot, address) : .ask(address)
        case "TRYAGAIN", "CLUSTERDOWN", "LOADING", "MASTERDOWN":
            self = .transient(message)
        default:
            self = .result(reply)
        }
    }
}
