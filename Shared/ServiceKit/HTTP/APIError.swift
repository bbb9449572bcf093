import Foundation
import HTTPTypes
import Hummingbird

/// An error answered with the contract's JSON shape:
/// `{"error": {"code": "<snake_case>", "message": "<human text>", "requestId": "<id>"}}`.
public struct APIError: Error, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// Extra response headers, e.g. `Retry-After` on 429.
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public static func invalidRequest(_ message: String) -> APIError { .init(.badRequest, code: "invalid_request", message: message) }
    public static func unauthorized(_ message: String = "missing or invalid access token") -> APIError {
        .init(.unauthorized, code: "unauthorized", message: message)
    }
    public static func forbidden(_ message: String) -> APIError { .init(.forbidden, code: "forbidden", message: message) }
    public static func notFound(_ message: String = "not found") -> APIError { .init(.notFound, code: "not_found", message: message) }
    public static func conflict(_ message: String) -> APIError { .init(.conflict, code: "conflict", message: message) }
    public static func payloadTooLarge(_ message: String) -> APIError {
        .init(.contentTooLarge, code: "payload_too_large", message: message)
    }
    public static func rateLimited(retryAfterSeconds: Int) -> APIError {
        .init(
            .tooManyRequests, code: "rate_limited", message: "too many requests; retry later",
            headers: [.retryAfter: String(retryAfterSeconds)])
    }
    /// 503 `unavailable` with `Retry-After` (1 s unless the cause knows better): something that passes.
    public static func unavailable(_ message: String, retryAfterSeconds: Int = 1) -> APIError {
        .init(.serviceUnavailable, code: "unavailable", message: message, headers: [.retryAfter: String(retryAfterSeconds)])
    }

    /// The contract code for a status that carries no code of its own (Hummingbird's own errors, e.g. no route).
    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "invalid_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 409: "conflict"
        case 413: "payload_too_large"
        case 429: "rate_limited"
        case 502: "bad_gateway"
        case 503: "unavailable"
        case 504: "gateway_timeout"
        case 500...: "internal"
        default: "invalid_request"
        }
    }

    /// The JSON response for this error, naming `requestId`.
    public func response(requestId: String, extra: [String: String]? = nil) -> Response {
        var fields = headers
        fields[.contentType] = JSONResponse.contentType
        return Response(status: status, headers: fields, body: .init(byteBuffer: jsonBody(requestId: requestId, extra: extra)))
    }

    /// The contract's error object for this error, naming `requestId` (and, for `/ready`, each check's outcome).
    public func jsonBody(requestId: String, extra: [String: String]? = nil) -> ByteBuffer {
        var text =
            #"{"error":{"code":"# + JSONText.quoted(code) + #","message":"# + JSONText.quoted(message)
            + #","requestId":"# + JSONText.quoted(requestId) + "}"
        if let extra {
            text +=
                #","checks":{"#
                + extra.sorted { $0.key < $1.key }
                .map { JSONText.quoted($0.key) + ":" + JSONText.quoted($0.value) }.joined(separator: ",") + "}"
        }
        return ByteBuffer(string: text + "}")
    }

}
