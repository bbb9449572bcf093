import HTTPTypes
import Hummingbird
import Tracing

/// One server span per request, continuing the caller's W3C `traceparent` (or starting a trace), named after the
/// matched route; a 5xx answer marks it failed, so it is exported whatever the sampling (``ErrorKeepingTracer``).
/// Installed outside ``RequestIdMiddleware``, so that the request's log lines carry its trace id.
struct RequestTracingMiddleware: RouterMiddleware {
    typealias Context = ServiceRequestContext

    func handle(
        _ request: Request, context: ServiceRequestContext,
        next: (Request, ServiceRequestContext) async throws -> Response
    ) async throws -> Response {
        var parent = ServiceContext.topLevel
        InstrumentationSystem.instrument.extract(request.headers, into: &parent, using: HTTPFieldsExtractor())
        return try await withSpan("\(request.method.rawValue) \(request.uri.path)", context: parent, ofKind: .server) { span in
            span.attributes["http.request.method"] = request.method.rawValue
            span.attributes["url.path"] = request.uri.path
            let response = try await next(request, context)
            if let route = context.endpointPath { span.operationName = "\(request.method.rawValue) \(route)" }
            span.attributes["http.response.status_code"] = Int(response.status.code)
            if response.status.code >= 500 { span.setStatus(SpanStatus(code: .error)) }
            return response
        }
    }
}

/// Reads trace context from swift-http-types fields (an incoming request).
struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from carrier: HTTPFields) -> String? {
        HTTPField.Name(key).flatMap { carrier[$0] }
    }
}
