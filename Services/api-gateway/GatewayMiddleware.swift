import Hummingbird
import ServiceKit

/// The gateway's work on every `/v1` request: find the upstream, limit the rate per client address, verify the
/// access token where the route needs one (then limit per user), and forward with the signed identity. Other paths
/// (`/health`, `/ready`, `/metrics`) go to the gateway's own routes.
struct GatewayMiddleware: RouterMiddleware {
    typealias Context = ServiceRequestContext
    let upstreams: [ServiceName: UpstreamPool]
    let verifier: AccessTokenVerifier
    let signer: IdentitySigner
    let limiter: RateLimiter
    let proxy: ReverseProxy
    let settings: GatewaySettings

    func handle(
        _ request: Request, context: ServiceRequestContext,
        next: (Request, ServiceRequestContext) async throws -> Response
    ) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1/") else { return try await next(request, context) }
        guard let route = RouteTable.route(for: request.uri.path), let pool = upstreams[route.service] else {
            throw APIError.notFound("no such endpoint")
        }
        let address = ClientAddress.of(request, context: context, trustedHops: settings.trustedProxyHops)
        try await limit("address:\(address)", capacity: settings.rateLimitPerAddress)

        var identityHeader: String?
        if route.requiresToken {
            let identity = try await verifier.verify(try Self.bearerToken(of: request))
            try await limit("user:\(identity.userId)", capacity: settings.rateLimitPerUser)
            identityHeader = signer.sign(identity)
        }
        if route.service == .chat && request.uri.path == "/v1/ws" {
            throw APIError.invalidRequest("/v1/ws needs a WebSocket upgrade request")
        }
        return try await proxy.forward(request, to: pool, identity: identityHeader, clientAddress: address, context: context)
    }

    private func limit(_ bucket: String, capacity: Int) async throws {
        let decision = try await limiter.take(bucket, capacity: capacity, period: .seconds(60))
        if !decision.allowed { throw APIError.rateLimited(retryAfterSeconds: decision.retryAfterSeconds) }
    }

    /// The token of `Authorization: Bearer <token>`, or of `?access_token=` (browsers' WebSockets cannot set
    /// headers); 401 when there is none.
    static func bearerToken(of request: Request) throws -> String {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty { return String(parts[1]) }
            throw APIError.unauthorized()
        }
        if let token = request.uri.queryParameters["access_token"], !token.isEmpty { return String(token) }
        throw APIError.unauthorized()
    }
}
