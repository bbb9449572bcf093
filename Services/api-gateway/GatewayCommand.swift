import AsyncHTTPClient
import ServiceKit

/// The api-gateway: the only public entry point, routing the contract's paths to the services.
@main
struct GatewayCommand: ServiceCommand {
    static let service = ServiceName.apiGateway
    static let summary = "Public entry point: verifies tokens, rate-limits and routes /v1 requests to the services."
    @OptionGroup var options: ServiceOptions

    func assemble(_ assembly: ServiceAssembly) async throws {
        _ = assembly.redis
        let client = assembly.httpClient
        for (upstream, instances) in assembly.settings.upstreams.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            assembly.addReadinessCheck("upstream:\(upstream.rawValue)") {
                try await UpstreamHealth.requireOneHealthy(instances, client: client)
            }
        }
    }
}
