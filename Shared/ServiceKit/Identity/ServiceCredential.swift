import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Who calls an internal endpoint of another service: `X-Chat-Service` =
/// `v1.<service>.<unix seconds>.<base64url HMAC-SHA256>` over the service, the time, the method and the path, under
/// `CHAT_INTERNAL_SECRET`. It is valid for ``lifetime`` around its time and only for the request it was made for, so
/// a captured header opens nothing else. The gateway routes no `/internal` path, so clients never reach these
/// endpoints.
public struct ServiceCredential: Sendable {
    public static let headerName = HTTPField.Name("X-Chat-Service")!
    /// How far a credential's time may be from the verifier's clock.
    public static let lifetime: TimeInterval = 60
    private let key: SymmetricKey

    /// Credentials under the same secret as `signer`'s identities.
    public init(signer: IdentitySigner) { key = signer.key }

    /// The header value for `service` calling `method path` at `now`.
    public func sign(_ service: ServiceName, method: HTTPRequest.Method, path: String, now: Date = Date()) -> String {
        let time = Int64(now.timeIntervalSince1970)
        return "v1.\(service.rawValue).\(time).\(mac(service.rawValue, time, method.rawValue, path))"
    }

    /// The calling service, nil when `value` is malformed, forged, for another request or out of its time.
    public func verify(_ value: String, method: HTTPRequest.Method, path: String, now: Date = Date()) -> ServiceName? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "v1", let service = ServiceName(rawValue: String(parts[1])),
            let time = Int64(parts[2]), abs(now.timeIntervalSince1970 - TimeInterval(time)) <= Self.lifetime,
            let given = Base64URL.decode(String(parts[3])),
            HMAC<SHA256>.isValidAuthenticationCode(
                given, authenticating: Array(Self.message(service.rawValue, time, method.rawValue, path).utf8), using: key)
        else { return nil }
        return service
    }

    private func mac(_ service: String, _ time: Int64, _ method: String, _ path: String) -> String {
        Base64URL.encode(Data(HMAC<SHA256>.authenticationCode(for: Array(Self.message(service, time, method, path).utf8), using: key)))
    }

    private static func message(_ service: String, _ time: Int64, _ method: String, _ path: String) -> String {
        "chat-service\n\(service)\n\(time)\n\(method)\n\(path)"
    }
}

/// Requires a valid ``ServiceCredential`` from one of `callers` on every request it wraps; 401 otherwise.
public struct ServiceCredentialMiddleware: RouterMiddleware {
    public typealias Context = ServiceRequestContext
    let credential: ServiceCredential
    let callers: Set<ServiceName>

    public init(credential: ServiceCredential, callers: Set<ServiceName>) {
        self.credential = credential
        self.callers = callers
    }

    public func handle(
        _ request: Request, context: ServiceRequestContext,
        next: (Request, ServiceRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let value = request.headers[ServiceCredential.headerName],
            let caller = credential.verify(value, method: request.method, path: request.uri.path), callers.contains(caller)
        else { throw APIError.unauthorized("internal endpoint: missing or invalid service credential") }
        return try await next(request, context)
    }
}
