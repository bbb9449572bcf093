import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceKit

/// Forwards a request to an instance of its upstream service and streams the answer back.
///
/// The request body is read whole first (at most the limit; more → 413, at once when `Content-Length` says so): the
/// contract's bodies are small JSON (files go to S3 directly), a body read whole can go to the next instance when one
/// refuses the connection, and nothing reads the client's stream after the answer started (an upstream that answers
/// before reading the body would otherwise leave it being read while the server reads the next request). The answer
/// streams back. No instance → 503, a failed exchange → 502, no answer in time → 504.
struct ReverseProxy: Sendable {
    let client: HTTPClient
    let timeout: Duration
    let maxBodyBytes: Int

    /// Headers that describe one hop, not the message, plus those the gateway sets itself.
    private static let droppedRequestHeaders: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding",
        "upgrade", "host", "x-chat-identity", "x-forwarded-for", "x-request-id", "content-length",
    ]
    private static let droppedResponseHeaders: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding",
        "upgrade",
    ]

    /// Sends `request` to `pool`, adding the verified identity (if any), the client's address and the request id.
    func forward(
        _ request: Request, to pool: UpstreamPool, identity: String?, clientAddress: String,
        context: ServiceRequestContext
    ) async throws -> Response {
        let declaredLength = request.headers[.contentLength].flatMap { Int($0) }
        if let declaredLength, declaredLength > maxBodyBytes { throw Self.tooLarge(maxBodyBytes) }

        var headers = HTTPHeaders()
        for field in request.headers where !Self.droppedRequestHeaders.contains(field.name.canonicalName) {
            headers.add(name: field.name.rawName, value: field.value)
        }
        if let identity { headers.add(name: IdentitySigner.headerName.rawName, value: identity) }
        headers.add(name: "X-Forwarded-For", value: clientAddress)
        headers.add(name: "X-Request-Id", value: context.requestId)
        // Tracing on, the HTTP client adds the `traceparent` of this request's span, which continues the caller's.
        if Telemetry.isTracing { Telemetry.removeTraceHeaders(from: &headers) }

        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Self.tooLarge(maxBodyBytes)
        }
        let candidates = pool.candidates()
        guard !candidates.isEmpty else { throw APIError.unavailable("no \(pool.service.rawValue) instance is configured") }
        for instance in candidates {
            var upstream = HTTPClientRequest(url: instance + request.uri.description)
            upstream.method = HTTPMethod(rawValue: request.method.rawValue)
            upstream.headers = headers
            if request.method != .get && request.method != .head { upstream.body = .bytes(body) }
            let response: HTTPClientResponse
            do {
                response = try await client.execute(upstream, timeout: TimeAmount(timeout))
            } catch let error where InternalServiceClient.isConnectFailure(error) {
                // Nothing was sent: the next instance gets the request.
                pool.markDown(instance)
                GatewayMetrics.failed(pool.service.rawValue, .connect)
                context.logger.warning("upstream refused", metadata: ["instance": "\(instance)", "error": "\(error)"])
                continue
            } catch let error as APIError {
                throw error
            } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
                GatewayMetrics.failed(pool.service.rawValue, .timeout)
                throw APIError(.gatewayTimeout, code: "gateway_timeout", message: "\(pool.service.rawValue) did not answer in time")
            } catch let error as HTTPClientError where error == .getConnectionFromPoolTimeout {
                // Every connection to the upstream is busy and the wait passed: the gateway's own overload, not a
                // failure of the upstream.
                throw APIError.unavailable("\(pool.service.rawValue) is busy; retry shortly", retryAfterSeconds: 1)
            } catch {
                GatewayMetrics.failed(pool.service.rawValue, .exchange)
                context.logger.warning("upstream failed", metadata: ["instance": "\(instance)", "error": "\(error)"])
                throw APIError(.badGateway, code: "bad_gateway", message: "\(pool.service.rawValue) failed to answer")
            }
            pool.markUp(instance)
            var fields = HTTPFields()
            for header in response.headers where !Self.droppedResponseHeaders.contains(header.name.lowercased()) {
                if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
            }
            return Response(
                status: HTTPResponse.Status(code: Int(response.status.code)), headers: fields,
                body: ResponseBody(asyncSequence: response.body))
        }
        throw APIError.unavailable("no \(pool.service.rawValue) instance is reachable")
    }

    static func tooLarge(_ limit: Int) -> APIError {
        .payloadTooLarge("the request body is larger than \(limit) bytes")
    }
}
