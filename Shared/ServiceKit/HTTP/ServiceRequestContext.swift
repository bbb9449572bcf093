import Hummingbird
import NIOCore

/// The request context every service's router uses: Hummingbird's core storage, the request id and, behind
/// ``IdentityMiddleware``, the verified caller.
public struct ServiceRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller's `X-Request-Id`, or one generated for this request; echoed on the response and in error bodies.
    public var requestId: String = ""
    /// The caller, set by ``IdentityMiddleware``.
    public var identity: VerifiedIdentity?
    /// The peer of the connection (the load balancer's address behind one).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The caller; 401 when the route is not behind ``IdentityMiddleware``.
    public func requireIdentity() throws -> VerifiedIdentity {
        guard let identity else { throw APIError.unauthorized() }
        return identity
    }
}
