import Hummingbird

/// The request context every service's router uses: Hummingbird's core storage plus the request id.
public struct ServiceRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller's `X-Request-Id`, or one generated for this request; echoed on the response and in error bodies.
    public var requestId: String = ""

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}
