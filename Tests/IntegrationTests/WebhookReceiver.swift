import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// An in-process webhook endpoint for push tests: `POST /hooks/<name>` records every request and answers with the
/// statuses scripted for `<name>` (one per request, the last one repeating; 200 when none).
final class WebhookReceiver: Sendable {
    /// One request as it arrived.
    struct Push: Sendable {
        let hook: String
        let deliveryId: String
        let signature: String
        let body: Data
        let receivedAt: ContinuousClock.Instant

        /// The body's `notification`.
        var notification: PushedNotification? { (try? JSONDecoder().decode(PushBody.self, from: body))?.notification }

        /// Whether `X-Chat-Signature` is `sha256=<hex HMAC-SHA256(secret, body)>`.
        func signatureVerifies(secret: String) -> Bool {
            let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
            return signature == "sha256=" + code.map { String(format: "%02x", $0) }.joined()
        }
    }

    /// The push body's notification.
    struct PushedNotification: Decodable, Sendable, Equatable {
        let id: String
        let type: String
        let conversationId: String
        let seq: Int64?
        let actorId: String
        let preview: String
        let createdAt: String
        let read: Bool
    }

    struct PushBody: Decodable, Sendable {
        let deliveryId: String
        let type: String
        let userId: String
        let notification: PushedNotification
    }

    private let pushes = Mutex<[Push]>([])
    private let scripts = Mutex<[String: [Int]]>([:])
    private let task = Mutex<Task<Void, Error>?>(nil)
    private let boundPort = Mutex<Int>(0)

    /// The URL of hook `name`.
    func url(_ name: String) -> String { "http://127.0.0.1:\(boundPort.withLock { $0 })/hooks/\(name)" }

    /// Makes hook `name` answer `statuses`, one per request, repeating the last.
    func script(_ name: String, _ statuses: [Int]) { scripts.withLock { $0[name] = statuses } }

    /// Everything hook `name` received so far.
    func received(_ name: String) -> [Push] { pushes.withLock { $0.filter { $0.hook == name } } }

    /// Everything received so far.
    var all: [Push] { pushes.withLock { $0 } }

    /// Starts on a free loopback port.
    func start() async throws {
        let router = Router()
        router.post("/hooks/:name") { [self] request, context in
            let name = try context.parameters.require("name")
            let body = try await request.body.collect(upTo: 1 << 20)
            let status = scripts.withLock { scripts -> Int in
                let push = pushes.withLock { list -> Int in
                    list.append(
                        Push(
                            hook: name, deliveryId: request.headers[HTTPField.Name("X-Chat-Delivery-Id")!] ?? "",
                            signature: request.headers[HTTPField.Name("X-Chat-Signature")!] ?? "",
                            body: Data(buffer: body), receivedAt: .now))
                    return list.filter { $0.hook == name }.count
                }
                guard let script = scripts[name], !script.isEmpty else { return 200 }
                return script[min(push, script.count) - 1]
            }
            return Response(status: .init(code: status))
        }
        let ready = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "webhook-receiver")
        logger.logLevel = .critical
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in ready.continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        task.withLock { $0 = Task { try await application.runService() } }
        let port = await ready.stream.first { _ in true } ?? 0
        boundPort.withLock { $0 = port }
    }

    func stop() { task.withLock { $0?.cancel() } }
}
