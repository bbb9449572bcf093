import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Calls the gateway's REST API as a client does: JSON in and out, the access token as a bearer token. Every failure
/// names the call, the status, the contract's error code and the request id, so a failed step can be traced.
struct GatewayClient: Sendable {
    let base: String
    let http: HTTPClient

    /// A response: status, request id and JSON body (nil when there is none).
    struct Reply: @unchecked Sendable {
        let status: Int
        let requestId: String
        let json: Any?

        var object: [String: Any] { json as? [String: Any] ?? [:] }
    }

    /// A call that did not answer as expected.
    struct CallFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// `method path` with `body` (a JSON object) and `token`; throws unless the status is one of `expecting`.
    @discardableResult
    func call(
        _ method: HTTPMethod, _ path: String, body: [String: Any]? = nil, token: String? = nil, expecting: Set<Int> = [200]
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 8 << 20)
        let json = bytes.readableBytes > 0 ? try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) : nil
        let reply = Reply(status: Int(response.status.code), requestId: response.headers.first(name: "X-Request-Id") ?? "none", json: json)
        guard expecting.contains(reply.status) else {
            let error = (reply.object["error"] as? [String: Any]) ?? [:]
            throw CallFailure(
                description: "\(method) \(path) answered \(reply.status) \(error["code"] ?? "") "
                    + "\"\(error["message"] ?? String(buffer: bytes).prefix(200))\" (request id \(reply.requestId))")
        }
        return reply
    }

    /// The WebSocket URL of the gateway.
    var webSocketURL: String {
        base.replacingOccurrences(of: "https://", with: "wss://").replacingOccurrences(of: "http://", with: "ws://") + "/v1/ws"
    }
}
