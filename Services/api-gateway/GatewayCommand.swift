import Hummingbird
import NIOCore
import ServiceKit
import WebSocketUpgrade

/// The api-gateway: the only public entry point, routing the contract's paths to the services.
@main
struct GatewayCommand: ServiceCommand {
    static let service = ServiceName.apiGateway
    static let summary = "Public entry point: verifies tokens, rate-limits and routes /v1 requests to the services."
    @OptionGroup var options: ServiceOptions

    /// Start order: the HTTP client, Redis and the token keys, then the HTTP server (which stops first).
    func assemble(_ assembly: ServiceAssembly) async throws {
        let settings = try GatewaySettings(assembly.settings)
        let client = assembly.addHTTPClient()
        // Readiness covers the gateway's own dependency (Redis), not the upstreams: a gateway taken out of the load
        // balancer because one service is down would take every other service down with it. A request for a
        // service with no reachable instance answers 503 instead.
        let redis = assembly.addRedis()
        let upstreams = Upstreams(assembly.settings)
        let signer = try IdentitySigner.configured(assembly.settings, logger: assembly.logger)
        let verifier = AccessTokenVerifier(
            authInstances: upstreams.auth.candidates, client: client, denylist: TokenDenylist(redis: redis),
            logger: assembly.logger("tokens"))
        assembly.add(verifier)
        let admission = GatewayAdmission(
            verifier: verifier,
            limiter: RateLimiter(redis: redis, prefix: "ratelimit:gateway"), settings: settings)

        GatewayMetrics.register(services: [ServiceName.auth, .user, .chat, .notification].map(\.rawValue))
        if !settings.corsOrigins.isEmpty { assembly.router.middlewares.add(AllowListCORS(origins: settings.corsOrigins)) }
        assembly.router.middlewares.add(
            GatewayMiddleware(
                upstreams: upstreams, admission: admission, signer: signer,
                proxy: ReverseProxy(client: client, timeout: settings.upstreamTimeout, maxBodyBytes: settings.maxBodyBytes)))
        WebClient.add(to: assembly.router, root: settings.webRoot, logger: assembly.logger("web"))
        assembly.adminListener = (settings.adminHost, settings.adminPort)
        assembly.httpServer = .http1(
            upgradingWebSocketsWith: WebSocketRelay(
                chat: upstreams.chat, admission: admission, signer: signer, handshakeTimeout: TimeAmount(settings.upstreamTimeout)))
    }
}
