import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceKit

/// The web client and the API's description, served by the gateway from ``GatewaySettings/webRoot``: the files at
/// `/` (index.html for folders), and `openapi.json` also at `GET /v1/openapi.json`. Public, no token.
///
/// Responses revalidate (ETag) so a new release reaches browsers at once, and carry a content security policy that
/// lets the client talk only to its own origin, WebSockets and the presigned storage URLs it is given.
enum WebClient {
    static let openAPIPath = "/v1/openapi.json"

    /// Adds the static files and the OpenAPI route to `router` (after the gateway's `/v1` handling).
    static func add(to router: Router<ServiceRequestContext>, root: String, logger: Logger) {
        router.middlewares.add(SecurityHeaders())
        router.middlewares.add(
            FileMiddleware(
                root, cacheControl: .init([(MediaType(type: .any), [.noCache])]), searchForIndexHtml: true, logger: logger))
        // Read once here: a handler runs on an event loop, which must not wait for the disk.
        let document = try? Data(contentsOf: URL(filePath: root).appending(path: "openapi.json"))
        router.get(RouterPath(openAPIPath)) { _, _ -> Response in
            guard let data = document else { throw APIError.notFound("the API description is not installed") }
            return Response(
                status: .ok, headers: [.contentType: JSONResponse.contentType, .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    /// Headers every response of the gateway's own routes and files carries.
    struct SecurityHeaders: RouterMiddleware {
        typealias Context = ServiceRequestContext

        func handle(
            _ request: Request, context: ServiceRequestContext,
            next: (Request, ServiceRequestContext) async throws -> Response
        ) async throws -> Response {
            var response = try await next(request, context)
            response.headers[.contentSecurityPolicy] = Self.policy
            response.headers[.xContentTypeOptions] = "nosniff"
            response.headers[.referrerPolicy] = "no-referrer"
            return response
        }

        static let policy =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: http: https:; "
            + "connect-src 'self' ws: wss: http: https:; media-src 'self' blob: http: https:; object-src 'none'; "
            + "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    }
}

extension HTTPField.Name {
    static let contentSecurityPolicy = HTTPField.Name("Content-Security-Policy")!
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
