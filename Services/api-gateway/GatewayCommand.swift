import AsyncHTTPClient
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

    func assemble(_ assembly: ServiceAssembly) async throws {
        let settings = try GatewaySettings(assembly.settings)
        let client = assembly.httpClient
        // Readiness covers the gateway's own dependency (Redis), not the upstreams: a gateway taken out of the load
        // balancer because one service is down would take every other service down with it. A request for a
        // service with no reachable instance answers 503 instead.
        let upstreams = Dictionary(uniqueKeysWithValues: assembly.settings.upstreams.map { ($0.key, UpstreamPool(service: $0.key, instances: $0.value)) })
        let redis = assembly.redis
        let signer = try IdentitySigner.configured(assembly.settings, logger: assembly.logger)
        let admission = GatewayAdmission(
            verifier: AccessTokenVerifier(auth: upstreams[.auth]!, client: client, denylist: TokenDenylist(redis: redis), logger: assembly.logger),
            limiter: RateLimiter(redis: redis, prefix: "ratelimit:gateway"), settings: settings)

        if !settings.corsOrigins.isEmpty { assembly.router.middlewares.add(AllowListCORS(origins: settings.corsOrigins)) }
        assembly.router.middlewares.add(GatewayMiddleware(
            upstreams: upstreams, admission: admission, signer: signer,
            proxy: ReverseProxy(client: client, timeout: settings.upstreamTimeout, maxBodyBytes: settings.maxBodyBytes)))
        assembly.httpServer = .http1(upgradingWebSocketsWith: WebSocketRelay(
            chat: upstreams[.chat]!, admission: admission, signer: signer,
            handshakeTimeout: TimeAmount(settings.upstreamTimeout)))
    }
}
