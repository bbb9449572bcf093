import Hummingbird

/// The request context every service's router uses: Hummingbird's core storage, the request id and, behind
/// ``IdentityMiddleware``, the verified caller.
public struct ServiceRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller's `X-Request-Id`, or one generated for this request; echoed on the response and in error bodies.
    public var requestId: String = ""
    /// The caller, set by ``IdentityMiddleware``.
    public var identity: VerifiedIdentity?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    /// The caller; 401 when the route is not behind ``IdentityMiddleware``.
    public func requireIdentity() throws -> VerifiedIdentity {
        guard let identity else { throw APIError.unauthorized() }
        return identity
    }
}
