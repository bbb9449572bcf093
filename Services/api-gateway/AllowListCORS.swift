import HTTPTypes
import Hummingbird
import ServiceKit

/// CORS for the configured origins only (`*` allows any): requests from other origins get no CORS headers, so
/// browsers refuse them. Preflight requests from allowed origins are answered here.
struct AllowListCORS: RouterMiddleware {
    typealias Context = ServiceRequestContext
    let origins: Set<String>
    private let cors = CORSMiddleware<ServiceRequestContext>(
        allowOrigin: .originBased, allowHeaders: [.authorization, .contentType, .requestId],
        allowMethods: [.get, .post, .put, .patch, .delete, .options], exposedHeaders: ["X-Request-Id", "Retry-After"],
        maxAge: .seconds(600))

    init(origins: [String]) { self.origins = Set(origins) }

    func handle(
        _ request: Request, context: ServiceRequestContext,
        next: (Request, ServiceRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains("*") || origins.contains(origin) else {
            return try await next(request, context)
        }
        return try await cors.handle(request, context: context, next: next)
    }
}
