import NIOCore

/// The address of the client behind the gateway: the socket's peer, or, behind `trustedHops` load balancers that
/// append to `X-Forwarded-For`, the entry they added (entries further left are client-supplied and not trusted).
/// One rule for every request, WebSocket upgrades included.
enum ClientAddress {
    /// - Parameter forwardedFor: every `X-Forwarded-For` header value, in order.
    static func of(forwardedFor: [String], peer: SocketAddress?, trustedHops: Int) -> String {
        if trustedHops > 0 {
            let entries = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            if entries.count >= trustedHops { return entries[entries.count - trustedHops] }
        }
        return peer?.ipAddress ?? "unknown"
    }
}
