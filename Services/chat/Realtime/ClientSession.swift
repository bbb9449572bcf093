import Foundation
import HummingbirdWebSocket
import Logging
import ServiceKit

/// One client's WebSocket: the `hello`, then frames in and out until either side closes.
///
/// Inbound frames are handled in order; malformed or unknown ones get an `error` frame and the socket stays open.
/// A `send` is checked, queued for storing and its `ack` awaited aside (at most ``maximumSendsInFlight`` at a time),
/// so a client may send its next message before the previous one is acknowledged and its messages keep their
/// order. Outbound live frames go through the connection's ``Outbox``; `sync` answers are written directly, so a
/// long catch-up waits for the client instead of filling memory.
struct ClientSession {
    static let heartbeatSeconds = 15
    /// Sends awaiting their `ack` on one connection before the session stops reading frames.
    static let maximumSendsInFlight = 64
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
        try await outbound.write(.text(try ServerFrame.text(ServerFrame.Hello(
            connectionId: connectionId, userId: identity.userId, heartbeatSeconds: Self.heartbeatSeconds))))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await Self.pump(outbox, to: outbound) }
            group.addTask {
                try await withThrowingTaskGroup(of: Void.self) { acks in
                    var limiter = SessionRateLimiter()
                    var unfinishedAcks = 0
                    for try await message in inbound.messages(maxSize: 1 << 16) {
                        guard case .text(let text) = message else {
                            try await outbound.write(.text(try Self.error(nil, "invalid_request", "frames are JSON text")))
                            continue
                        }
                        guard let ack = try await handle(text, outbound: outbound, limiter: &limiter) else { continue }
                        if unfinishedAcks == Self.maximumSendsInFlight {
                            try await acks.next()
                            unfinishedAcks -= 1
                        }
                        acks.addTask(operation: ack)
                        unfinishedAcks += 1
                    }
                    // The client left: acks still pending have no one to go to.
                    acks.cancelAll()
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

    /// Handles one frame; for a queued `send`, returns the work that awaits and writes its `ack`.
    private func handle(
        _ text: String, outbound: WebSocketOutboundWriter, limiter: inout SessionRateLimiter
    ) async throws -> (@Sendable () async throws -> Void)? {
        let data = Data(text.utf8)
        let decoder = JSONDecoder()
        guard let type = try? decoder.decode(ClientFrameType.self, from: data).type else {
            try await invalid(outbound, "a frame is one JSON object with a type")
            return nil
        }
        func decode<T: Decodable>(_: T.Type) -> T? { try? decoder.decode(T.self, from: data) }
        switch type {
        case "send":
            guard let frame = decode(SendFrame.self) else {
                try await invalid(outbound, "send needs conversationId, clientMessageId and body")
                return nil
            }
            guard limiter.allowSend() else {
                try await outbound.write(.text(try Self.error(frame.ref, "rate_limited", "too many messages; slow down")))
                return nil
            }
            let ticket: WriteTicket
            do {
                ticket = messaging.writer.enqueue(try await messaging.prepare(
                    from: identity.userId, to: frame.conversationId, clientMessageId: frame.clientMessageId, body: frame.body,
                    attachmentIds: frame.attachmentIds ?? [], replyToSeq: frame.replyToSeq))
            } catch let error as APIError {
                try await outbound.write(.text(try Self.error(frame.ref, error.code, error.message)))
                return nil
            }
            return {
                do {
                    let message = try await ticket.value().view
                    try await outbound.write(.text(try ServerFrame.text(ServerFrame.Ack(ref: frame.ref, message: message))))
                } catch let error as APIError {
                    try await outbound.write(.text(try Self.error(frame.ref, error.code, error.message)))
                }
            }
        case "sync":
            guard let frame = decode(SyncFrame.self), frame.conversations.count <= 1000 else {
                try await invalid(outbound, "sync needs conversations: {id: lastSeenSeq}")
                return nil
            }
            for (conversationId, lastSeen) in frame.conversations.sorted(by: { $0.key < $1.key }) {
                try await sync(conversationId, after: max(0, lastSeen), outbound: outbound)
            }
        case "typing":
            guard let frame = decode(TypingFrame.self), ["start", "stop"].contains(frame.state) else {
                try await invalid(outbound, "typing needs conversationId and state start|stop")
                return nil
            }
            guard limiter.allowTyping() else { return nil }
            do {
                let conversation = try await messaging.conversation(frame.conversationId, for: identity.userId)
                try await messaging.signal(
                    ServerFrame.Typing(conversationId: conversation.id, userId: identity.userId, state: frame.state),
                    key: conversation.id, to: conversation.members.map(\.userId).filter { $0 != identity.userId },
                    droppable: true)
            } catch let error as APIError {
                try await outbound.write(.text(try Self.error(nil, error.code, error.message)))
            }
        case "read":
            guard let frame = decode(ReadFrame.self) else {
                try await invalid(outbound, "read needs conversationId and seq")
                return nil
            }
            do {
                try await messaging.markRead(frame.conversationId, seq: frame.seq, by: identity.userId)
            } catch let error as APIError {
                try await outbound.write(.text(try Self.error(nil, error.code, error.message)))
            }
        case "ping":
            try await outbound.write(.text(try ServerFrame.text(ServerFrame.Pong(ref: decode(PingFrame.self)?.ref))))
        default:
            try await invalid(outbound, "unknown frame type \(type.prefix(40))")
        }
        return nil
    }

    /// Sends every message after `lastSeen`, in order, then `synced`.
    private func sync(_ conversationId: String, after lastSeen: Int64, outbound: WebSocketOutboundWriter) async throws {
        let conversation: ConversationStore.Conversation
        do {
            conversation = try await messaging.conversation(conversationId, for: identity.userId)
        } catch let error as APIError {
            return try await outbound.write(.text(try Self.error(nil, error.code, "\(error.message): \(conversationId.prefix(64))")))
        }
        var last = lastSeen
        while true {
            let page = try await messaging.messages.page(conversation.id, from: last, newestFirst: false, limit: 500)
            for document in page {
                try await outbound.write(.text(try ServerFrame.text(ServerFrame.Message(type: "message", message: document.view))))
                last = document.seq
            }
            if page.count < 500 { break }
        }
        try await outbound.write(.text(try ServerFrame.text(ServerFrame.Synced(conversationId: conversation.id, lastSeq: last))))
    }

    private func invalid(_ outbound: WebSocketOutboundWriter, _ message: String) async throws {
        try await outbound.write(.text(try Self.error(nil, "invalid_request", message)))
    }

    static func error(_ ref: String?, _ code: String, _ message: String) throws -> String {
        try ServerFrame.text(ServerFrame.Failure(ref: ref, code: code, message: message))
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
