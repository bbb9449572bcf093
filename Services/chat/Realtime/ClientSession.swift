import ChatEvents
import Foundation
import Logging
import NIOCore
import ServiceKit
import Synchronization
import Tracing

/// What every session of this instance works with.
struct SessionContext: Sendable {
    let messaging: Messaging
    let budget: SendBudget
    /// Verifies the fresh access token of an `auth` frame.
    let verifier: AccessTokenVerifier
    let logger: Logger
}

/// One client's WebSocket on this instance: its identity, its outbound frames (``ConnectionOutbox``) and the handling
/// of what the client sends.
///
/// Frames arrive on the connection's event loop (``received(_:)``) and are handled one at a time, in order, by a task
/// that runs while there are some; when ``maximumQueuedFrames`` wait, the connection stops reading until the session
/// caught up. A `send` is checked against the user's budget and the conversation, queued for storing, and its `ack`
/// written when the writer answers, without waiting: the next frame is handled meanwhile, and messages keep the order
/// they came in. Bad frames get an `error` frame and the socket stays open.
final class ClientSession: Sendable {
    static let heartbeatSeconds = 30
    /// Frames received and not yet handled before the connection stops reading.
    static let maximumQueuedFrames = 256
    let userId: String
    let connectionId: String
    let outbox: ConnectionOutbox
    private let channel: any Channel
    private let context: SessionContext
    private let logger: Logger
    private let state: Mutex<State>
    /// The trace of the upgrade (the gateway's span): each `send` continues it.
    private let trace = ServiceContext.current

    private struct State {
        /// Replaced by an `auth` frame with a fresh token of the same user.
        var identity: VerifiedIdentity
        /// Small at first: most sockets are idle most of the time.
        var inbound = CircularBuffer<ByteBuffer>(initialCapacity: 2)
        var handling = false
        var readingPaused = false
        var limits = SessionLimits()
        var lastHeard = ContinuousClock.now
    }

    init(identity: VerifiedIdentity, connectionId: String, channel: any Channel, context: SessionContext) {
        self.userId = identity.userId
        self.connectionId = connectionId
        self.channel = channel
        self.outbox = ConnectionOutbox(channel: channel)
        self.context = context
        var logger = context.logger
        logger[metadataKey: "connection"] = .string(connectionId)
        self.logger = logger
        self.state = Mutex(State(identity: identity))
    }

    /// The identity the socket currently holds (the latest `auth` frame's).
    var identity: VerifiedIdentity { state.withLock { $0.identity } }

    /// When the client was last heard from (any frame, pongs included).
    var lastHeard: ContinuousClock.Instant { state.withLock { $0.lastHeard } }

    /// Sends `hello`, the session's first frame.
    func greet() {
        offer(ServerFrame.Hello(connectionId: connectionId, userId: userId, heartbeatSeconds: Self.heartbeatSeconds))
    }

    /// Closes the socket with `code` after what is queued (4001 at expiry or revocation, 1001 at shutdown …).
    func close(code: UInt16, reason: String) {
        outbox.close(code: code, reason: reason)
    }

    /// The client sent a control frame: it is alive.
    func heard() {
        state.withLock { $0.lastHeard = .now }
    }

    /// A text frame arrived (on the event loop): handled at once when nothing is queued before it and it needs no
    /// waiting (``handledAtOnce(_:)``), else queued for handling in order.
    func received(_ text: ByteBuffer) {
        let idle = state.withLock { state in
            state.lastHeard = .now
            return !state.handling && state.inbound.isEmpty
        }
        // Only the event loop adds frames, so none can arrive while this one is handled.
        if idle, handledAtOnce(text) { return }
        let (start, pause) = state.withLock { state -> (Bool, Bool) in
            state.inbound.append(text)
            var pause = false
            if state.inbound.count >= Self.maximumQueuedFrames, !state.readingPaused {
                state.readingPaused = true
                pause = true
            }
            guard !state.handling else { return (false, pause) }
            state.handling = true
            return (true, pause)
        }
        if pause { channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in } }
        if start { Task { await self.handleQueued() } }
    }

    /// Handles queued frames until none is left.
    private func handleQueued() async {
        while true {
            let (next, resume) = state.withLock { state -> (ByteBuffer?, Bool) in
                guard let frame = state.inbound.popFirst() else {
                    state.handling = false
                    return (nil, false)
                }
                guard state.readingPaused, state.inbound.count < Self.maximumQueuedFrames / 4 else { return (frame, false) }
                state.readingPaused = false
                return (frame, true)
            }
            if resume { channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in } }
            guard let next else { return }
            await handle(next)
        }
    }

    private static let decoder = JSONDecoder()

    private func handle(_ text: ByteBuffer) async {
        guard let frame = ClientFrameReader.frame(in: text) ?? (try? Self.decoder.decode(ClientFrame.self, from: Data(text.readableBytesView)))
        else {
            return fail(APIError.invalidRequest("a frame is one JSON object with a string type"), ref: nil)
        }
        do {
            switch frame.type {
            case "send": try await send(frame)
            case "sync": try await sync(frame)
            case "typing": try await typing(frame)
            case "read": try await read(frame)
            case "auth": try await authenticate(frame)
            case "ping": offer(ServerFrame.Pong(ref: frame.ref))
            default: throw APIError.invalidRequest("unknown frame type \(frame.type.prefix(40))")
            }
        } catch let error as APIError {
            fail(error, ref: frame.ref)
        } catch is ConnectionOutbox.Closed {
            return
        } catch {
            logger.warning("frame failed", metadata: ["type": "\(frame.type.prefix(40))", "error": "\(error)"])
            fail(APIError.unavailable("could not handle the frame; retry"), ref: frame.ref)
        }
    }

    /// Handles a frame on the event loop without a task, when it needs no waiting: a `ping`, or a valid `send` that the
    /// user's local lease pays for and whose checks need nothing looked up
    /// (``Messaging/preparedFromCache(from:to:clientMessageId:body:replyToSeq:)``): the usual frame of a busy socket.
    /// False when the frame must be queued and handled by ``handle(_:)``.
    private func handledAtOnce(_ text: ByteBuffer) -> Bool {
        guard let frame = ClientFrameReader.frame(in: text) else { return false }
        switch frame.type {
        case "ping":
            offer(ServerFrame.Pong(ref: frame.ref))
            return true
        case "send":
            guard frame.attachmentIds?.isEmpty ?? true, let conversationId = frame.conversationId,
                let clientMessageId = frame.clientMessageId, let body = frame.body,
                let message = context.messaging.preparedFromCache(
                    from: userId, to: conversationId, clientMessageId: clientMessageId, body: body, replyToSeq: frame.replyToSeq),
                context.budget.takeLeased(for: userId)
            else { return false }
            store(message, ref: frame.ref)
            return true
        default:
            return false
        }
    }

    private func send(_ frame: ClientFrame) async throws {
        guard let conversationId = frame.conversationId, let clientMessageId = frame.clientMessageId, let body = frame.body else {
            throw APIError.invalidRequest("send needs conversationId, clientMessageId and body")
        }
        guard try await context.budget.take(for: userId) else {
            throw APIError(
                .tooManyRequests, code: "rate_limited",
                message: "at most \(context.budget.perSecond) messages a second (bursts of \(context.budget.burst)); slow down")
        }
        store(
            try await context.messaging.prepare(
                from: userId, to: conversationId, clientMessageId: clientMessageId, body: body,
                attachmentIds: frame.attachmentIds ?? [], replyToSeq: frame.replyToSeq),
            ref: frame.ref)
    }

    /// Queues `message` for storing; its `ack` (or `error`) is written when the writer answers.
    private func store(_ message: NewMessage, ref: String?) {
        var message = message
        message.trace = MessageTrace.start(in: trace)
        let ticket = context.messaging.writer.enqueue(message)
        let logger = logger
        ticket.whenAnswered { [self] outcome, drains in
            switch outcome {
            case .success(let stored):
                outbox.offer(ServerFrame.ack(ref: ref, message: stored.view), drains: &drains)
            case .failure(let error as APIError):
                fail(error, ref: ref, drains: &drains)
            case .failure(let error):
                logger.warning("send failed", metadata: ["error": "\(error)"])
                fail(
                    APIError.unavailable("the message could not be stored; retry with the same clientMessageId"), ref: ref, drains: &drains)
            }
        }
    }

    /// Sends every message after each conversation's last seen seq, in order, then its `synced`, at the pace the
    /// client reads.
    private func sync(_ frame: ClientFrame) async throws {
        guard let conversations = frame.conversations, conversations.count <= SessionLimits.maximumSyncConversations else {
            throw APIError.invalidRequest(
                "sync needs conversations: {id: lastSeenSeq}, at most \(SessionLimits.maximumSyncConversations) of them")
        }
        guard state.withLock({ $0.limits.sync.take() }) else {
            throw APIError(
                .tooManyRequests, code: "rate_limited", message: "at most \(SessionLimits.syncPerWindow) sync frames per 10 seconds")
        }
        for (conversationId, lastSeen) in conversations.sorted(by: { $0.key < $1.key }) {
            do {
                try await catchUp(conversationId, after: max(0, lastSeen))
            } catch let error as APIError {
                fail(APIError(error.status, code: error.code, message: "\(error.message): \(conversationId.prefix(64))"), ref: frame.ref)
            }
        }
    }

    private func catchUp(_ conversationId: String, after lastSeen: Int64) async throws {
        let conversation = try await context.messaging.conversation(conversationId, for: userId)
        var last = lastSeen
        while true {
            let page = try await context.messaging.messages.page(conversation.id, from: last, newestFirst: false, limit: 500)
            try await outbox.offerPaced(page.map { ServerFrame.message($0.view) })
            last = page.last?.seq ?? last
            if page.count < 500 { break }
        }
        offer(ServerFrame.Synced(conversationId: conversation.id, lastSeq: last))
    }

    private func typing(_ frame: ClientFrame) async throws {
        guard let conversationId = frame.conversationId, let typingState = frame.state, ["start", "stop"].contains(typingState) else {
            throw APIError.invalidRequest("typing needs conversationId and state start|stop")
        }
        // Typing beyond the limit is dropped without an answer: the next one says the same.
        guard state.withLock({ $0.limits.typing.take() }) else { return }
        let conversation = try await context.messaging.conversation(conversationId, for: userId)
        try await context.messaging.signal(
            ServerFrame.Typing(conversationId: conversation.id, userId: userId, state: typingState),
            key: conversation.id, to: conversation.members.map(\.userId).filter { $0 != userId }, droppable: true)
    }

    private func read(_ frame: ClientFrame) async throws {
        guard let conversationId = frame.conversationId, let seq = frame.seq else {
            throw APIError.invalidRequest("read needs conversationId and seq")
        }
        guard state.withLock({ $0.limits.read.take() }) else {
            throw APIError(.tooManyRequests, code: "rate_limited", message: "at most 10 read frames a second")
        }
        try await context.messaging.markRead(conversationId, seq: seq, by: userId)
    }

    /// Takes a fresh access token of the same user: the socket now lives until that token expires.
    private func authenticate(_ frame: ClientFrame) async throws {
        guard let token = frame.accessToken else { throw APIError.invalidRequest("auth needs accessToken") }
        let fresh = try await context.verifier.verify(token)
        guard fresh.userId == userId else { throw APIError.unauthorized("the token is another user's") }
        state.withLock { $0.identity = fresh }
        offer(
            ServerFrame.Authenticated(
                ref: frame.ref, expiresAt: RFC3339.string(from: Date(timeIntervalSince1970: TimeInterval(fresh.expiresAt)))))
    }

    private func offer(_ frame: some Encodable) {
        var drains = OutboxDrains()
        offer(frame, drains: &drains)
        drains.schedule()
    }

    private func offer(_ frame: some Encodable, drains: inout OutboxDrains) {
        do {
            outbox.offer(try ServerFrame.buffer(frame), drains: &drains)
        } catch {
            logger.error("a frame could not be encoded", metadata: ["error": "\(error)"])
        }
    }

    private func fail(_ error: APIError, ref: String?) {
        offer(ServerFrame.Failure(ref: ref, code: error.code, message: error.message))
    }

    private func fail(_ error: APIError, ref: String?, drains: inout OutboxDrains) {
        offer(ServerFrame.Failure(ref: ref, code: error.code, message: error.message), drains: &drains)
    }
}
