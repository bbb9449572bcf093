import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import JWTKit
import Logging
import NIOCore
import NIOWebSocket
import ServiceKit
import Synchronization

/// An in-process HTTP and WebSocket server standing in for the services behind a gateway under test.
///
/// - `GET /v1/auth/jwks` publishes the public keys of ``signingKeys`` (add keys to rotate).
/// - `GET /v1/users/slow` answers after 2 s (for upstream timeouts).
/// - Every other `/v1` request is echoed: the body comes back, and the `X-Chat-Identity`, `X-Forwarded-For` and
///   `X-Request-Id` the upstream received come back as `X-Seen-…` headers.
/// - `/v1/ws` echoes text frames; the text `close:<code>` makes it close with that code; ``closedByClient``
///   tells when the gateway closed the upstream side. With ``refusesWebSockets`` it answers every upgrade 503, as a
///   chat instance does while it starts.
final class TestUpstream: Sendable {
    let refusesWebSockets: Bool
    let signingKeys = Mutex<[(kid: String, key: EdDSA.PrivateKey)]>([])
    let closedByClient = Atomic<Int>(0)
    let seenWebSocketIdentity = Mutex<String?>(nil)
    private let port = Mutex<Int?>(nil)
    private let task = Mutex<Task<Void, Error>?>(nil)

    init(refusesWebSockets: Bool = false) {
        self.refusesWebSockets = refusesWebSockets
    }

    /// Starts the server on a free loopback port.
    func start() async throws -> Int {
        let router = Router()
        router.get("/health") { _, _ in "ok" }
        router.get("/v1/auth/jwks") { [self] _, _ in
            let keys = signingKeys.withLock { $0 }.map { entry in
                #"{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","use":"sig","kid":"\#(entry.kid)","x":"\#(Base64URL.encode(entry.key.publicKey.rawRepresentation))"}"#
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"keys":[\#(keys.joined(separator: ","))]}"#)))
        }
        router.get("/v1/users/slow") { _, _ in
            try await Task.sleep(for: .seconds(8))
            return "late"
        }
        router.get("/v1/ws") { _, _ in
            Response(
                status: .serviceUnavailable, headers: [.contentType: "application/json", .retryAfter: "1"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"code":"unavailable","message":"starting"}}"#)))
        }
        router.on("/v1/**", method: .get, use: Self.echo)
        router.on("/v1/**", method: .post, use: Self.echo)
        router.on("/v1/**", method: .put, use: Self.echo)
        router.on("/v1/**", method: .delete, use: Self.echo)
        let ready = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "test-upstream")
        logger.logLevel = .critical  // its shutdown at the end of each test is not news
        // Frames over 64 KiB close with 1009, as chat does (the gateway relays bytes and leaves frames to chat).
        let webSockets: HTTPServerBuilder = .http1WebSocketUpgrade(configuration: .init(ws: .init(maxFrameSize: 1 << 16))) { [self] request, _, _ in
            guard request.path == "/v1/ws" else { return .dontUpgrade }
            seenWebSocketIdentity.withLock { $0 = request.headerFields[IdentitySigner.headerName] }
            return .upgrade([:]) { [self] inbound, outbound, _ in
                for try await message in inbound.messages(maxSize: 1 << 16) {
                    guard case .text(let text) = message else { continue }
                    if text.hasPrefix("close:"), let code = UInt16(text.dropFirst(6)) {
                        try await outbound.close(.init(codeNumber: Int(code)), reason: "bye")
                        return
                    }
                    try await outbound.write(.text(text))
                }
                closedByClient.add(1, ordering: .relaxed)
            }
        }
        // Refusing, upgrades reach the router's 503 as plain requests.
        let application = Application(
            router: router, server: refusesWebSockets ? .http1() : webSockets,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in ready.continuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger)
        task.withLock { $0 = Task { try await application.runService() } }
        let port = await ready.stream.first { _ in true } ?? 0
        self.port.withLock { $0 = port }
        return port
    }

    func stop() {
        task.withLock { $0?.cancel() }
    }

    @Sendable private static func echo(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        var headers: HTTPFields = [.contentType: request.headers[.contentType] ?? "application/octet-stream"]
        headers[HTTPField.Name("X-Seen-Identity")!] = request.headers[IdentitySigner.headerName] ?? "none"
        headers[HTTPField.Name("X-Seen-Forwarded-For")!] = request.headers[HTTPField.Name("X-Forwarded-For")!] ?? "none"
        headers[HTTPField.Name("X-Seen-Request-Id")!] = request.headers[.requestId] ?? "none"
        headers[HTTPField.Name("X-Seen-Path")!] = request.uri.description
        // Read the whole body first, as the services do, then answer with it.
        let body = try await request.body.collect(upTo: 1 << 24)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
}
