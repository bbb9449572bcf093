import Foundation
import HummingbirdWSClient
import Logging
import Synchronization

/// One simulated user: a WebSocket through the gateway that sends into its group and records what arrives.
final class VirtualUser: Sendable {
    let index: Int
    let session: Session
    let conversationId: String
    let stats: Stats
    private let writer = Mutex<WebSocketOutboundWriter?>(nil)
    private let ready = AsyncStream<Void>.makeStream()

    init(index: Int, session: Session, conversationId: String, stats: Stats) {
        self.index = index
        self.session = session
        self.conversationId = conversationId
        self.stats = stats
    }

    /// What the user reads from a frame.
    private struct Frame: Decodable {
        struct Message: Decodable {
            let conversationId: String
            let seq: Int64
            let senderId: String
            let body: String
        }
        let type: String
        let ref: String?
        let message: Message?
    }

    /// Connects and reads frames until the connection ends.
    func connect(url: String, logger: Logger) async throws {
        try await WebSocketClient.connect(
            url: url,
            configuration: .init(maxFrameSize: 1 << 20, additionalHeaders: [.authorization: "Bearer \(session.accessToken)"], autoPing: .disabled),
            logger: logger
        ) { inbound, outbound, _ in
            self.writer.withLock { $0 = outbound }
            self.ready.continuation.yield()
            let decoder = JSONDecoder()
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message, let frame = try? decoder.decode(Frame.self, from: Data(text.utf8)) else { continue }
                let now = DispatchTime.now().uptimeNanoseconds
                switch frame.type {
                case "ack":
                    if let ref = frame.ref, let seq = frame.message?.seq { self.stats.acked(ref, conversationId: self.conversationId, seq: seq, at: now) }
                case "message":
                    if let message = frame.message, message.senderId != self.session.userId, let sentAt = UInt64(message.body) {
                        self.stats.delivered(conversationId: message.conversationId, seq: message.seq, to: self.index, sentAt: sentAt, at: now)
                    }
                default:
                    continue
                }
            }
        }
    }

    func waitUntilReady() async {
        var iterator = ready.stream.makeAsyncIterator()
        _ = await iterator.next()
    }

    /// Sends message number `number` with the send time as its body.
    func send(number: Int) async {
        guard let writer = writer.withLock({ $0 }) else { return }
        let id = "\(index)-\(number)"
        let sentAt = DispatchTime.now().uptimeNanoseconds
        stats.sent(id, at: sentAt)
        try? await writer.write(.text(#"{"type":"send","ref":"\#(id)","conversationId":"\#(conversationId)","clientMessageId":"\#(id)","body":"\#(sentAt)"}"#))
    }
}
