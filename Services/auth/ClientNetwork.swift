#if canImport(Glibc)
    import Glibc
#endif

/// The network a client address stands for when limiting sign-ups: the address itself for IPv4, its /64 for IPv6
/// (one subscriber holds a whole /64 and could otherwise rotate through it).
enum ClientNetwork {
    /// `address` (as the gateway passes it) reduced to its network; unparseable text stays as it is.
    static func of(_ address: String) -> String {
        var v6 = in6_addr()
        guard address.contains(":"), inet_pton(AF_INET6, address, &v6) == 1 else { return address }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        // IPv4-mapped (::ffff:a.b.c.d): the IPv4 address.
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }
}
