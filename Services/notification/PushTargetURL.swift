import Foundation
import NIOPosix
import ServiceKit

/// Checks the URL of a push target before it is stored, so pushes cannot be aimed at the service's own network.
///
/// Accepted: `http` or `https`, a host, no user info, at most 2,048 characters. Unless private targets are allowed
/// (local use only), the host must not be `localhost` and neither the host itself (an IP literal) nor any address it
/// resolves to may be loopback, unspecified, link-local, private (RFC 1918, unique local), shared (100.64/10),
/// multicast or reserved. Pushes never follow redirects, so an accepted URL cannot bounce a push elsewhere.
/// A name may resolve differently later (DNS rebinding): ``WebhookClients`` checks it again at every push and connects
/// to the address it checked.
enum PushTargetURL {
    static let maximumLength = 2048

    /// The URL, normalised (scheme and host lowercased), or 400 `invalid_request` saying what is wrong.
    static func validated(_ text: String, allowPrivate: Bool) async throws -> String {
        guard text.utf8.count <= maximumLength, var components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), let rawHost = components.host, !rawHost.isEmpty
        else { throw APIError.invalidRequest("url must be an absolute http or https URL of at most \(maximumLength) characters") }
        guard scheme == "http" || scheme == "https" else { throw APIError.invalidRequest("url must use http or https") }
        guard components.user == nil, components.password == nil else {
            throw APIError.invalidRequest("url must not carry user info")
        }
        components.scheme = scheme
        let host = rawHost.lowercased()
        components.host = host
        guard let normalised = components.string else { throw APIError.invalidRequest("url is not valid") }
        if allowPrivate { return normalised }

        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare.hasSuffix(".localhost") {
            throw APIError.invalidRequest("url must not point to a loopback, link-local or private address")
        }
        let addresses: [IPAddress]
        if let literal = IPAddress(bare) {
            addresses = [literal]
        } else {
            addresses = await resolve(bare)
            guard !addresses.isEmpty else { throw APIError.invalidRequest("url host \(bare) does not resolve") }
        }
        guard addresses.allSatisfy(\.isPublic) else {
            throw APIError.invalidRequest("url must not point to a loopback, link-local or private address")
        }
        return normalised
    }

    /// The addresses `host` resolves to (empty when it does not or the lookup could not run), looked up on the shared
    /// blocking pool: getaddrinfo blocks, and must not run on an event loop or the cooperative pool.
    static func resolve(_ host: String) async -> [IPAddress] {
        (try? await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
            defer { freeaddrinfo(list) }
            var addresses: [IPAddress] = []
            var entry: UnsafeMutablePointer<addrinfo>? = first
            while let current = entry {
                if let address = IPAddress(current.pointee.ai_addr) { addresses.append(address) }
                entry = current.pointee.ai_next
            }
            return addresses
        }) ?? []
    }
}

/// An IPv4 or IPv6 address, classified for ``PushTargetURL``.
struct IPAddress: Sendable, Equatable {
    /// 4 bytes for IPv4, 16 for IPv6.
    let bytes: [UInt8]

    /// Parses an address literal (no brackets); nil when `text` is not one.
    init?(_ text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }

    /// The address in a resolved `sockaddr`; nil for other families.
    init?(_ socketAddress: UnsafeMutablePointer<sockaddr>?) {
        guard let socketAddress else { return nil }
        switch Int32(socketAddress.pointee.sa_family) {
        case AF_INET:
            bytes = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
            }
        case AF_INET6:
            bytes = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
            }
        default:
            return nil
        }
    }

    /// The address as text (`203.0.113.7`, `2001:db8::1`), as a connection target.
    var text: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        _ = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether the address is globally routable: not loopback, unspecified, link-local, private, shared, multicast,
    /// documentation or reserved. IPv4-mapped, NAT64 and 6to4 IPv6 addresses are judged by their IPv4 address;
    /// IPv4-compatible (`::a.b.c.d`), Teredo and discard-only ones are refused.
    var isPublic: Bool {
        if bytes.count == 4 { return Self.isPublicV4(bytes) }
        let b = bytes
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return Self.isPublicV4(Array(b[12...])) }
        if b[0..<12] == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0] { return Self.isPublicV4(Array(b[12...])) }
        if b[0] == 0x20 && b[1] == 0x02 { return Self.isPublicV4(Array(b[2..<6])) }  // 2002::/16 6to4: its IPv4 address
        if b[0..<12].allSatisfy({ $0 == 0 }) { return false }  // ::, ::1 and ::a.b.c.d (IPv4-compatible, deprecated)
        if b[0..<6] == [0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01] { return false }  // 64:ff9b:1::/48 local-use NAT64
        if b[0..<8] == [0x01, 0x00, 0, 0, 0, 0, 0, 0] { return false }  // 100::/64 discard-only
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00 { return false }  // 2001::/32 Teredo
        if b[0] & 0xFE == 0xFC { return false }  // fc00::/7 unique local
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return false }  // fe80::/10 link-local
        if b[0] == 0xFE && b[1] & 0xC0 == 0xC0 { return false }  // fec0::/10 site-local (deprecated)
        if b[0] == 0xFF { return false }  // multicast
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 { return false }  // 2001:db8::/32 documentation
        return true
    }

    private static func isPublicV4(_ b: [UInt8]) -> Bool {
        switch (b[0], b[1]) {
        case (0, _), (10, _), (127, _): return false
        case (100, 64...127): return false  // shared address space
        case (169, 254): return false  // link-local (cloud metadata)
        case (172, 16...31): return false
        case (192, 168): return false
        case (198, 18...19): return false  // benchmarking
        case (224..., _): return false  // multicast, reserved, broadcast
        default: break
        }
        if b[0] == 192 && b[1] == 0 && (b[2] == 0 || b[2] == 2) { return false }  // 192.0.0/24, 192.0.2/24
        if (b[0] == 198 && b[1] == 51 && b[2] == 100) || (b[0] == 203 && b[1] == 0 && b[2] == 113) { return false }
        return true
    }
}
