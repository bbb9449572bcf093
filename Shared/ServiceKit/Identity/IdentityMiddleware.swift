import Hummingbird

/// Requires a valid `X-Chat-Identity` (see ``IdentitySigner``) on every request it wraps and puts the identity in
/// ``ServiceRequestContext/identity``; otherwise answers 401. Services add it in front of their `/v1` routes.
public struct IdentityMiddleware: RouterMiddleware {
    public typealias Context = ServiceRequestContext
    let signer: IdentitySigner

    public init(signer: IdentitySigner) { self.signer = signer }

    public func handle(
        _ request: Request, context: ServiceRequestContext,
        next: (Request, ServiceRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let value = request.headers[IdentitySigner.headerName],
            let identity = signer.verify(value, method: request.method, path: request.uri.path)
        else {
            throw APIError.unauthorized()
        }
        var context = context
        context.identity = identity
        return try await next(request, context)
    }
}
