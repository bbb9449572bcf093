import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RedisCluster

/// Gives every request an id and turns every error into the contract's JSON error.
///
/// The id is the caller's `X-Request-Id` when it sent a sane one (1–128 printable characters), else a new UUID.
/// It goes into the logger's metadata (`request_id`), the `X-Request-Id` response header and error bodies.
/// Errors that are not ``APIError`` are mapped by status; Redis that did not answer (down, unreachable, too slow: a
/// failover or an overloaded node) is 503 `unavailable` with `Retry-After`, as the client can retry; unexpected ones
/// are logged and answered as 500 `internal` without leaking their text. Each request is logged once when answered (at debug level for `/health`, `/ready`
/// and `/metrics`, which load balancers and scrapers call constantly).
public struct RequestIdMiddleware: RouterMiddleware {
    public typealias Context = ServiceRequestContext

    public init() {}

    public func handle(
        _ request: Request, context: ServiceRequestContext,
        next: (Request, ServiceRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        let started = ContinuousClock.now
        let requestId = Self.acceptedId(request.headers[.requestId]) ?? UUID().uuidString.lowercased()
        context.requestId = requestId
        context.logger[metadataKey: "request_id"] = .string(requestId)
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = error.response(requestId: requestId)
        } catch let error as any HTTPResponseError {
            let message = (error as? HTTPError)?.body ?? error.status.reasonPhrase
            response = APIError(error.status, code: APIError.code(for: error.status), message: message)
                .response(requestId: requestId)
        } catch let error as RedisError where error.isTransient {
            context.logger.warning("Redis did not answer", metadata: ["error": "\(error)"])
            response = APIError.unavailable("a backing store did not answer in time; retry").response(requestId: requestId)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            response = APIError(.internalServerError, code: "internal", message: "internal error")
                .response(requestId: requestId)
        }
        response.headers[.requestId] = requestId
        let elapsed = (ContinuousClock.now - started).components
        let milliseconds = Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
        let path = request.uri.path
        context.logger.log(
            level: Self.operationalPaths.contains(path) ? .debug : .info, "request",
            metadata: [
                "method": "\(request.method)", "path": "\(path)", "status": "\(response.status.code)",
                "duration_ms": "\(milliseconds)",
            ])
        return response
    }

    private static let operationalPaths: Set<String> = ["/health", "/ready", "/metrics"]

    /// `value` when it is a sane request id (1–128 printable ASCII characters), else nil.
    public static func acceptedId(_ value: String?) -> String? {
        guard let value, (1...128).contains(value.utf8.count),
            value.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
        else { return nil }
        return value
    }
}

extension HTTPField.Name {
    /// `X-Request-Id`.
    public static let requestId = HTTPField.Name("X-Request-Id")!
}
