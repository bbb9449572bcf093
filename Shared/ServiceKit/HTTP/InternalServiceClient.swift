import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOPosix

/// Calls another service's internal API (`/internal/v1/…`) with this service's ``ServiceCredential``: JSON in and
/// out, the instances of ``pool`` in turn, the next one when a connection cannot be made.
///
/// Failures are the caller's 503 `unavailable` (the other service is down or answered unexpectedly), never a 500:
/// the request that needed the answer can be retried.
public struct InternalServiceClient: Sendable {
    public let caller: ServiceName
    public let pool: UpstreamPool
    let http: HTTPClient
    let credential: ServiceCredential
    let timeout: Duration

    public init(caller: ServiceName, pool: UpstreamPool, http: HTTPClient, credential: ServiceCredential, timeout: Duration = .seconds(5)) {
        self.caller = caller
        self.pool = pool
        self.http = http
        self.credential = credential
        self.timeout = timeout
    }

    /// `POST path` with `body`; the answer decoded as `Answer`.
    public func post<Answer: Decodable>(_ path: String, _ body: some Encodable, as _: Answer.Type = Answer.self) async throws -> Answer {
        try await call(.post, path, body: try JSONEncoder().encode(body))
    }

    /// `GET path`; the answer decoded as `Answer`.
    public func get<Answer: Decodable>(_ path: String, as _: Answer.Type = Answer.self) async throws -> Answer {
        try await call(.get, path, body: nil)
    }

    private func call<Answer: Decodable>(_ method: HTTPRequest.Method, _ path: String, body: Data?) async throws -> Answer {
        let service = pool.service.rawValue
        for instance in pool.candidates() {
            var request = HTTPClientRequest(url: instance + path)
            request.method = HTTPMethod(rawValue: method.rawValue)
            request.headers.add(name: ServiceCredential.headerName.rawName, value: credential.sign(caller, method: method, path: path))
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, timeout: TimeAmount(timeout))
            } catch let error where Self.isConnectFailure(error) {
                pool.markDown(instance)
                continue
            } catch {
                throw APIError.unavailable("\(service) did not answer; retry")
            }
            pool.markUp(instance)
            let answer = try await response.body.collect(upTo: 8 << 20)
            guard response.status == .ok else {
                throw APIError.unavailable("\(service) answered \(response.status.code) to \(method) \(path); retry")
            }
            do {
                return try JSONDecoder().decode(Answer.self, from: answer)
            } catch {
                throw APIError.unavailable("\(service) answered \(method) \(path) with an unexpected body")
            }
        }
        throw APIError.unavailable("no \(service) instance is reachable")
    }

    /// Whether nothing was sent: the next instance may get the request.
    public static func isConnectFailure(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError, error == .connectTimeout { return true }
        if error is NIOConnectionError { return true }
        if let error = error as? IOError { return error.errnoCode == ECONNREFUSED }
        return false
    }
}
