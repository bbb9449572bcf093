import Foundation
import ServiceKit

/// The instances of each service behind the gateway (``Settings/upstreams``).
struct Upstreams: Sendable {
    let auth: UpstreamPool
    let user: UpstreamPool
    let chat: UpstreamPool
    let notification: UpstreamPool

    init(_ settings: Settings) {
        func pool(_ service: ServiceName) -> UpstreamPool { UpstreamPool(service: service, instances: settings.upstreams[service] ?? []) }
        (auth, user, chat, notification) = (pool(.auth), pool(.user), pool(.chat), pool(.notification))
    }

    /// The pool of `service`; nil for the gateway itself.
    func pool(for service: ServiceName) -> UpstreamPool? {
        switch service {
        case .auth: auth
        case .user: user
        case .chat: chat
        case .notification: notification
        case .apiGateway: nil
        }
    }
}

extension UpstreamPool {
    /// Host and port of an `http://host[:port]` instance URL (the WebSocket relay connects to it directly).
    struct Endpoint: Equatable {
        let host: String
        let port: Int

        /// Nil for a URL that is not plain `http` with a host.
        init?(_ instance: String) {
            guard let components = URLComponents(string: instance), components.scheme?.lowercased() == "http",
                let host = components.host, !host.isEmpty
            else { return nil }
            self.host = host
            self.port = components.port ?? 80
        }
    }
}
