import AsyncHTTPClient
import Foundation
import ServiceLifecycle
import Synchronization

/// The HTTP clients that make pushes, so that a push goes to an address checked for that push.
///
/// A target's URL was checked when it was stored, but its name may resolve elsewhere later (DNS rebinding). So every
/// push resolves the name again, refuses it when any address is not public (unless private targets are allowed, for
/// local use), and is made by a client whose connections go to the address just checked (`dnsOverride`: the Host
/// header and TLS SNI keep the name, certificates are verified against the name). Clients are kept per (name,
/// address), at most ``capacity`` of them, the least recently used shut down first. None follows redirects.
final class WebhookClients: Service, Sendable {
    static let capacity = 256
    /// Why a push was not made.
    struct Refused: Error, CustomStringConvertible {
        let description: String
        /// A name that does not resolve may resolve later; a private address stays refused.
        let retryable: Bool
    }

    private let allowPrivateTargets: Bool
    private let resolve: @Sendable (String) async -> [IPAddress]
    /// For URLs with an address literal, and every URL when private targets are allowed.
    private let direct: HTTPClient
    private let pinned = Mutex<(clients: [String: HTTPClient], order: [String])>(([:], []))

    init(allowPrivateTargets: Bool, resolve: @escaping @Sendable (String) async -> [IPAddress] = PushTargetURL.resolve) {
        self.allowPrivateTargets = allowPrivateTargets
        self.resolve = resolve
        direct = HTTPClient(eventLoopGroupProvider: .singleton, configuration: Self.configuration(pinning: [:]))
    }

    static func configuration(pinning override: [String: String]) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5)))
        configuration.dnsOverride = override
        return configuration
    }

    /// How a push is made: the client, and the address its connections go to (nil when the URL names an address, or
    /// private targets are allowed).
    struct Route: Sendable {
        let client: HTTPClient
        let address: String?
    }

    /// The route of a push to `url`, to an address of its host checked now; throws ``Refused``.
    func route(for url: String) async throws -> Route {
        guard let rawHost = URLComponents(string: url)?.host?.lowercased(), !rawHost.isEmpty else {
            throw Refused(description: "the target URL has no host", retryable: false)
        }
        let host = rawHost.hasPrefix("[") && rawHost.hasSuffix("]") ? String(rawHost.dropFirst().dropLast()) : rawHost
        if allowPrivateTargets { return Route(client: direct, address: nil) }
        if let literal = IPAddress(host) {
            guard literal.isPublic else { throw Refused(description: "the target address \(host) is not public", retryable: false) }
            return Route(client: direct, address: nil)
        }
        let addresses = await resolve(host)
        guard let address = addresses.first else { throw Refused(description: "\(host) does not resolve", retryable: true) }
        guard addresses.allSatisfy(\.isPublic) else {
            throw Refused(description: "\(host) now resolves to an address that is not public", retryable: false)
        }
        return Route(client: pinnedClient(host: host, address: address.text), address: address.text)
    }

    private func pinnedClient(host: String, address: String) -> HTTPClient {
        let key = "\(host)|\(address)"
        let (client, evicted) = pinned.withLock { state -> (HTTPClient, HTTPClient?) in
            if let client = state.clients[key] {
                state.order.removeAll { $0 == key }
                state.order.append(key)
                return (client, nil)
            }
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: Self.configuration(pinning: [host: address]))
            state.clients[key] = client
            state.order.append(key)
            guard state.order.count > Self.capacity else { return (client, nil) }
            return (client, state.clients.removeValue(forKey: state.order.removeFirst()))
        }
        // Pushes still in flight on an evicted client finish first (a graceful shutdown waits for them).
        if let evicted { Task { try? await evicted.shutdown() } }
        return client
    }

    /// Shuts every client down after graceful shutdown.
    func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Shuts every client down.
    func shutdown() async {
        let clients = pinned.withLock { state in
            defer { state = ([:], []) }
            return Array(state.clients.values)
        }
        for client in clients + [direct] { try? await client.shutdown() }
    }
}
