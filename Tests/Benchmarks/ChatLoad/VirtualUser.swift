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

    /// Connects and reads frames until the connection ends.
    func connect(url: String, logger: Logger) async throws {
        do {
            let close = try await WebSocketClient.connect(
                url: url,
                configuration: .init(
                    maxFrameSize: 1 << 20, additionalHeaders: [.authorization: "Bearer \(session.accessToken)"], autoPing: .disabled),
                logger: logger
            ) { inbound, outbound, _ in
                self.writer.withLock { $0 = outbound }
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    self.read(text)
                }
            }
            stats.connectionEnded(close.map { "closed \($0.closeCode)" } ?? "closed")
        } catch {
            stats.connectionEnded("failed: \(error)")
            throw error
        }
    }

    /// Accounts an `ack` or `message` frame. The load program shares the machine with what it measures, so it reads
    /// the few fields it needs with a scan instead of decoding the JSON.
    private func read(_ text: String) {
        let now = DispatchTime.now().uptimeNanoseconds
        var text = text
        text.withUTF8 { bytes in
            let frame = FrameFields(bytes)
            switch frame.string("type") {
            case "hello":
                // Chat has registered the connection: from now on it receives every message of its conversation.
                ready.continuation.yield()
            case "ack":
                if let ref = frame.string("ref"), let seq = frame.integer("seq") {
                    stats.acked(ref, conversationId: conversationId, seq: seq, at: now)
                }
            case "message":
                if let conversation = frame.string("conversationId"), let seq = frame.integer("seq"),
                    let sender = frame.string("senderId"), sender != session.userId,
                    let body = frame.string("body"), let sentAt = UInt64(body)
                {
                    stats.delivered(conversationId: conversation, seq: seq, to: index, sentAt: sentAt, at: now)
                }
            default:
                break
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
        try? await writer.write(
            .text(#"{"type":"send","ref":"\#(id)","conversationId":"\#(conversationId)","clientMessageId":"\#(id)","body":"\#(sentAt)"}"#))
    }
}

/// The first value of a key in a frame's JSON text, for keys whose values hold no escaped quotes (ids, numbers,
/// frame types, the load program's own bodies).
struct FrameFields {
    let bytes: UnsafeBufferPointer<UInt8>

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The string value of `key`.
    func string(_ key: String) -> String? {
        guard var index = valueStart(key), index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        index += 1
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") { index += 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    /// The integer value of `key`.
    func integer(_ key: String) -> Int64? {
        guard var index = valueStart(key) else { return nil }
        var value: Int64 = 0
        var digits = 0
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
            index += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    /// Where the value of `"key":` starts.
    private func valueStart(_ key: String) -> Int? {
        let pattern = Array("\"\(key)\":".utf8)
        guard bytes.count >= pattern.count else { return nil }
        var index = 0
        while index <= bytes.count - pattern.count {
            if bytes[index] == pattern[0], pattern.indices.allSatisfy({ bytes[index + $0] == pattern[$0] }) {
                var value = index + pattern.count
                while value < bytes.count, bytes[value] == UInt8(ascii: " ") { value += 1 }
                return value
            }
            index += 1
        }
        return nil
    }
}
