import Foundation
import HummingbirdWebSocket
import Logging
import ServiceKit

/// One client's WebSocket: the `hello`, then frames in and out until either side closes.
///
/// Inbound frames are handled one at a time; malformed or unknown ones get an `error` frame and the socket stays
/// open. Outbound live frames go through the connection's ``Outbox``; `sync` answers are written directly, so a
/// long catch-up waits for the client instead of filling memory.
struct ClientSession {
    static let heartbeatSeconds = 15
    let identity: VerifiedIdentity
    let connectionId: String
    let messaging: Messaging
    let registry: ConnectionRegistry
    let presence: PresenceTracker
    let logger: Logger

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let outbox = Outbox()
        registry.add(userId: identity.userId, connectionId: connectionId, outbox: outbox)
        await presence.connected(userId: identity.userId, connectionId: connectionId)
        defer {
            outbox.close()
            registry.remove(userId: identity.userId, connectionId: connectionId)
            let (userId, connectionId, presence) = (identity.userId, connectionId, presence)
            Task { await presence.disconnected(userId: userId, connectionId: connectionId) }
        }
        try await outbound.write(.text(ServerFrame.text(ServerFrame.Hello(
            connectionId: connectionId, userId: identity.userId, heartbeatSeconds: Self.heartbeatSeconds))))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await Self.pump(outbox, to: outbound) }
            group.addTask {
                var limiter = SessionRateLimiter()
                for try await message in inbound.messages(maxSize: 1 << 16) {
                    guard case .text(let text) = message else {
                        try await outbound.write(.text(Self.error(nil, "invalid_request", "frames are JSON text")))
                        continue
                    }
                    try await handle(text, outbound: outbound, limiter: &limiter)
                }
            }
            // Either the client left, or the outbox overflowed and the connection must close.
            try await group.next()
            group.cancelAll()
        }
    }

    /// Writes queued frames until the outbox closes or overflows.
    private static func pump(_ outbox: Outbox, to outbound: WebSocketOutboundWriter) async throws {
        for await _ in outbox.signals {
            let (frames, overflowed) = outbox.drain()
            for frame in frames { try await outbound.write(.text(frame)) }
            if overflowed {
                try await outbound.close(.init(codeNumber: Int(Outbox.overflowCloseCode)), reason: "too slow: reconnect and sync")
                return
            }
        }
    }

    private func handle(_ text: String, outbound: WebSocketOutboundWriter, limiter: inout SessionRateLimiter) async throws {
        let data = Data(text.utf8)
        let decoder = JSONDecoder()
        guard let type = try? decoder.decode(ClientFrameType.self, from: data).type else {
            try await outbound.write(.text(Self.error(nil, "invalid_request", "a frame is one JSON object with a type")))
            return
        }
        func decode<T: Decodable>(_: T.Type) -> T? { try? decoder.decode(T.self, from: data) }
        switch type {
        case "send":
            guard let frame = decode(SendFrame.self) else { return try await invalid(outbound, "send needs conversationId, clientMessageId and body") }
            guard limiter.allowSend() else { return try await outbound.write(.text(Self.error(frame.ref, "rate_limited", "too many messages; slow down"))) }
            do {
                let result = try await messaging.send(
                    from: identity.userId, to: frame.conversationId, clientMessageId: frame.clientMessageId, body: frame.body,
                    attachmentIds: frame.attachmentIds ?? [], replyToSeq: frame.replyToSeq)
                let message: MessageView = switch result { case .created(let view), .existing(let view): view }
                try await outbound.write(.text(ServerFrame.text(ServerFrame.Ack(ref: frame.ref, message: message))))
            } catch let error as APIError {
                try await outbound.write(.text(Self.error(frame.ref, error.code, error.message)))
            }
        case "sync":
            guard let frame = decode(SyncFrame.self), frame.conversations.count <= 1000 else {
                return try await invalid(outbound, "sync needs conversations: {id: lastSeenSeq}")
            }
            for (conversationId, lastSeen) in frame.conversations.sorted(by: { $0.key < $1.key }) {
                try await sync(conversationId, after: max(0, lastSeen), outbound: outbound)
            }
        case "typing":
            guard let frame = decode(TypingFrame.self), ["start", "stop"].contains(frame.state) else {
                return try await invalid(outbound, "typing needs conversationId and state start|stop")
            }
            guard limiter.allowTyping() else { return }
            do {
                let conversation = try await messaging.conversation(frame.conversationId, for: identity.userId)
                try await messaging.signal(
                    ServerFrame.Typing(conversationId: conversation.id, userId: identity.userId, state: frame.state),
                    conversationId: conversation.id, to: conversation.members.map(\.userId).filter { $0 != identity.userId },
                    droppable: true)
            } catch let error as APIError {
                try await outbound.write(.text(Self.error(nil, error.code, error.message)))
            }
        case "read":
            guard let frame = decode(ReadFrame.self) else { return try await invalid(outbound, "read needs conversationId and seq") }
            do {
                try await messaging.markRead(frame.conversationId, seq: frame.seq, by: identity.userId)
            } catch let error as APIError {
                try await outbound.write(.text(Self.error(nil, error.code, error.message)))
            }
        case "ping":
            try await outbound.write(.text(ServerFrame.text(ServerFrame.Pong(ref: decode(PingFrame.self)?.ref))))
        default:
            try await invalid(outbound, "unknown frame type \(type.prefix(40))")
        }
    }

    /// Sends every message after `lastSeen`, in order, then `synced`.
    private func sync(_ conversationId: String, after lastSeen: Int64, outbound: WebSocketOutboundWriter) async throws {
        let conversation: ConversationStore.Conversation
        do {
            conversation = try await messaging.conversation(conversationId, for: identity.userId)
        } catch let error as APIError {
            return try await outbound.write(.text(Self.error(nil, error.code, "\(error.message): \(conversationId.prefix(64))")))
        }
        var last = lastSeen
        while true {
            let page = try await messaging.messages.page(conversation.id, after: last, before: nil, limit: 500)
            for document in page {
                try await outbound.write(.text(ServerFrame.text(ServerFrame.Message(type: "message", message: document.view))))
                last = document.seq
            }
            if page.count < 500 { break }
        }
        try await outbound.write(.text(ServerFrame.text(ServerFrame.Synced(conversationId: conversation.id, lastSeq: last))))
    }

    private func invalid(_ outbound: WebSocketOutboundWriter, _ message: String) async throws {
        try await outbound.write(.text(Self.error(nil, "invalid_request", message)))
    }

    static func error(_ ref: String?, _ code: String, _ message: String) -> String {
        ServerFrame.text(ServerFrame.Failure(ref: ref, code: code, message: message))
    }
}

/// Per-connection limits on sends and typing (token buckets in memory: the connection lives on one instance).
struct SessionRateLimiter {
    private var sendTokens = 200.0
    private var typingTokens = 10.0
    private var last = ContinuousClock.now

    /// 100 messages a second, bursts of 200.
    mutating func allowSend() -> Bool {
        refill()
        guard sendTokens >= 1 else { return false }
        sendTokens -= 1
        return true
    }

    /// 2 typing frames a second, bursts of 10.
    mutating func allowTyping() -> Bool {
        refill()
        guard typingTokens >= 1 else { return false }
        typingTokens -= 1
        return true
    }

    private mutating func refill() {
        let now = ContinuousClock.now
        let elapsed = (now - last) / .seconds(1)
        last = now
        sendTokens = min(200, sendTokens + elapsed * 100)
        typingTokens = min(10, typingTokens + elapsed * 2)
    }
}
