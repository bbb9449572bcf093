import HTTPTypes
import Hummingbird
import ServiceKit

/// The gateway's work on every `/v1` request: find the upstream, admit the request (``GatewayAdmission``: the
/// client address's limit, the access token where the route needs one, the user's limit) and forward it with the
/// signed identity. Other paths (`/health`, `/ready`, the web client, `/v1/openapi.json`) go to the gateway's own
/// routes. `GET /v1/ws` is
/// served by ``WebSocketRelay`` before the router; a request for it without an upgrade gets 400.
struct GatewayMiddleware: RouterMiddleware {
    typealias Context = ServiceRequestContext
    let upstreams: Upstreams
    let admission: GatewayAdmission
    let signer: IdentitySigner
    let proxy: ReverseProxy

    /// The methods the contract uses; anything else (TRACE, CONNECT, …) is answered here with 405.
    static let forwardedMethods: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .patch, .delete]

    func handle(
        _ request: Request, context: ServiceRequestContext,
        next: (Request, ServiceRequestContext) async throws -> Response
    ) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1/"), request.uri.path != WebClient.openAPIPath else {
            return try await next(request, context)
        }
        guard let route = RouteTable.route(for: request.uri.path), let pool = upstreams.pool(for: route.service) else {
            throw APIError.notFound("no such endpoint")
        }
        context.coreContext.endpointPath.value = RouteTable.label(for: request.uri.path)
        guard Self.forwardedMethods.contains(request.method) else {
            throw APIError(
                .methodNotAllowed, code: "method_not_allowed", message: "\(request.method) is not supported",
                headers: [.allow: Self.forwardedMethods.map(\.rawValue).sorted().joined(separator: ", ")])
        }
        let address = ClientAddress.of(
            forwardedFor: request.headers[values: .xForwardedFor], peer: context.remoteAddress,
            trustedHops: admission.settings.trustedProxyHops)
        try await admission.limit(address: address)
        var identityHeader: String?
        if route.requiresToken {
            let identity = try await admission.authenticate(try BearerToken.of(authorization: request.headers[.authorization]))
            identityHeader = signer.sign(identity, method: request.method, path: request.uri.path)
        }
        if request.uri.path == WebSocketRelay.path {
            throw APIError.invalidRequest("\(WebSocketRelay.path) needs a WebSocket upgrade request")
        }
        return try await proxy.forward(request, to: pool, identity: identityHeader, clientAddress: address, context: context)
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
