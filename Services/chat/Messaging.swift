import ChatEvents
import Foundation
import Kafka
import Logging
import ServiceKit

/// What chat does for a member, shared by the REST routes and the WebSocket sessions: access checks, sending,
/// edits, reactions, read markers, and the realtime signals they cause.
final class Messaging: Sendable {
    let conversations: ConversationStore
    let messages: MessageStore
    let attachments: AttachmentStore
    let directory: IdentityDirectory
    let writer: MessageWriter
    let producer: KafkaProducer
    let logger: Logger
    /// Conversations recently loaded for access checks, for ``cacheLifetime`` and at most ``cacheCapacity`` of them;
    /// membership changes made here clear them.
    private let cache = BoundedCache<String, ConversationStore.Conversation>(capacity: cacheCapacity, maximumAge: cacheLifetime)
    static let cacheLifetime: Duration = .seconds(2)
    static let cacheCapacity = 50_000
    static let maxBodyLength = 4000
    static let maxBodyBytes = 16 * 1024

    init(
        conversations: ConversationStore, messages: MessageStore, attachments: AttachmentStore, directory: IdentityDirectory,
        writer: MessageWriter, producer: KafkaProducer, logger: Logger
    ) {
        self.conversations = conversations
        self.messages = messages
        self.attachments = attachments
        self.directory = directory
        self.writer = writer
        self.producer = producer
        self.logger = logger
    }

    /// The conversation if `userId` is a member; 404 otherwise (also for ids that do not exist or are malformed).
    func conversation(_ id: String, for userId: String, fresh: Bool = false) async throws -> ConversationStore.Conversation {
        guard let uuid = UUID(uuidString: id) else { throw APIError.notFound("no such conversation") }
        let key = uuid.uuidString.lowercased()
        if !fresh, let cached = cachedConversation(key, for: userId) { return cached }
        guard let conversation = try await conversations.find(key), conversation.member(userId) != nil else {
            throw APIError.notFound("no such conversation")
        }
        cache.store(conversation, for: key)
        return conversation
    }

    /// The conversation from the cache if `userId` is a member of it there; nil when it must be looked up.
    private func cachedConversation(_ id: String, for userId: String) -> ConversationStore.Conversation? {
        guard let cached = cache.value(for: id), cached.member(userId) != nil else { return nil }
        return cached
    }

    func forget(_ conversationId: String) { cache.remove(conversationId) }

    /// Validates and stores a message from `userId`.
    func send(
        from userId: String, to conversationId: String, clientMessageId: String, body: String, attachmentIds: [String],
        replyToSeq: Int64?
    ) async throws -> StoredMessage {
        try await writer.write(
            prepare(
                from: userId, to: conversationId, clientMessageId: clientMessageId, body: body, attachmentIds: attachmentIds,
                replyToSeq: replyToSeq))
    }

    /// Validates a message from `userId` (membership, blocks, attachments, mentions): what ``MessageWriter`` stores.
    func prepare(
        from userId: String, to conversationId: String, clientMessageId: String, body: String, attachmentIds: [String],
        replyToSeq: Int64?
    ) async throws -> NewMessage {
        let conversation = try await self.conversation(conversationId, for: userId)
        let text = try Self.checked(
            clientMessageId: clientMessageId, body: body, attachmentIds: attachmentIds, replyToSeq: replyToSeq, in: conversation)
        let others = conversation.members.map(\.userId).filter { $0 != userId }
        if conversation.type == .direct, let other = others.first, try await directory.hasBlocked(other, userId) {
            throw APIError.forbidden("you cannot send to this conversation")
        }
        let attached = try await attachments.verifiedForMessage(attachmentIds, conversationId: conversation.id, sender: userId)
        let mentioned = text.utf8.contains(UInt8(ascii: "@")) ? try await directory.mentioned(in: text, among: others) : []
        return NewMessage(
            conversationId: conversation.id, senderId: userId, clientMessageId: clientMessageId, body: text,
            attachments: attached, replyToSeq: replyToSeq, recipientIds: others, mentionedUserIds: mentioned)
    }

    /// ``prepare(from:to:clientMessageId:body:attachmentIds:replyToSeq:)`` without waiting, for a message whose checks
    /// need nothing looked up: the conversation (and, if direct, whether the other member blocked the sender) is cached,
    /// and it has no attachments and no `@`. Nil when ``prepare(from:to:clientMessageId:body:attachmentIds:replyToSeq:)``
    /// must be used, also when the message is invalid (so that it answers).
    func preparedFromCache(
        from userId: String, to conversationId: String, clientMessageId: String, body: String, replyToSeq: Int64?
    ) -> NewMessage? {
        guard let uuid = UUID(uuidString: conversationId), let conversation = cachedConversation(uuid.uuidString.lowercased(), for: userId),
            let text = try? Self.checked(clientMessageId: clientMessageId, body: body, attachmentIds: [], replyToSeq: replyToSeq, in: conversation),
            !text.utf8.contains(UInt8(ascii: "@"))
        else { return nil }
        let others = conversation.members.map(\.userId).filter { $0 != userId }
        if conversation.type == .direct, let other = others.first, directory.cachedBlock(other, userId) != false { return nil }
        return NewMessage(
            conversationId: conversation.id, senderId: userId, clientMessageId: clientMessageId, body: text,
            attachments: [], replyToSeq: replyToSeq, recipientIds: others, mentionedUserIds: [])
    }

    /// The checks of a message that need no lookup; returns its body trimmed.
    private static func checked(
        clientMessageId: String, body: String, attachmentIds: [String], replyToSeq: Int64?, in conversation: ConversationStore.Conversation
    ) throws -> String {
        guard (1...128).contains(clientMessageId.count), !TextRules.hasControlCharacters(clientMessageId) else {
            throw APIError.invalidRequest("clientMessageId must be 1–128 characters without control characters")
        }
        let text = try messageBody(body, allowEmpty: !attachmentIds.isEmpty)
        guard attachmentIds.count <= 10, Set(attachmentIds).count == attachmentIds.count else {
            throw APIError.invalidRequest("at most 10 distinct attachments")
        }
        if let replyToSeq, replyToSeq < 1 || replyToSeq > conversation.lastSeq + 1_000_000 {
            throw APIError.invalidRequest("replyToSeq does not name a message")
        }
        return text
    }

    /// `body` trimmed, or 400 unless it is at most ``maxBodyLength`` characters and ``maxBodyBytes`` bytes of UTF-8,
    /// without NUL, and not empty (unless `allowEmpty`: a message with attachments).
    static func messageBody(_ body: String, allowEmpty: Bool) throws -> String {
        let text = TextRules.trimmed(body)
        guard text.utf8.count <= maxBodyBytes, text.count <= maxBodyLength, !text.isEmpty || allowEmpty,
            !text.unicodeScalars.contains("\u{0}")
        else {
            throw APIError.invalidRequest(
                "body must be 1–\(maxBodyLength) characters and at most \(maxBodyBytes) bytes of UTF-8 without NUL, or empty with attachments")
        }
        return text
    }

    /// Applies `change` to message `seq` and tells the members (`message.updated`).
    func update(
        _ conversationId: String, seq: Int64, by userId: String,
        _ change: (inout MessageDocument, ConversationStore.Conversation) throws -> Void
    ) async throws -> MessageView {
        let conversation = try await self.conversation(conversationId, for: userId)
        guard var document = try await messages.message(conversation.id, seq: seq) else { throw APIError.notFound("no such message") }
        try change(&document, conversation)
        try await messages.update(document)
        let view = document.view
        try await signal(ServerFrame.Message(type: "message.updated", message: view), key: conversation.id, to: conversation.members.map(\.userId))
        return view
    }

    /// Publishes a frame for `audience` to every chat instance, keyed by `key` (the conversation it is about, or the
    /// user whose presence changed): signals with the same key stay in order.
    func signal(_ frame: some Encodable, key: String, to audience: [String], droppable: Bool = false) async throws {
        guard let recordKey = UUID(uuidString: key) else {
            throw APIError.invalidRequest("\(key.prefix(64)) is not an id")
        }
        try await producer.publish(
            EventEnvelope(
                RealtimeSignal(
                    key: recordKey, audience: audience, frame: try ServerFrame.text(frame), droppable: droppable)))
    }

    /// Tells every member the conversation's current state (`conversation` frame, each in their own view).
    func announce(_ conversation: ConversationStore.Conversation, alsoTo formerMembers: [String] = []) async {
        forget(conversation.id)
        do {
            for member in conversation.members {
                try await signal(
                    ServerFrame.Conversation(conversation: conversation.view(for: member.userId)), key: conversation.id, to: [member.userId])
            }
            for former in formerMembers {
                try await signal(ServerFrame.Conversation(conversation: conversation.view(for: former)), key: conversation.id, to: [former])
            }
        } catch {
            logger.warning("could not announce a conversation change", metadata: ["error": "\(error)"])
        }
    }

    /// Moves the read marker forward and tells the members.
    func markRead(_ conversationId: String, seq: Int64, by userId: String) async throws {
        let conversation = try await self.conversation(conversationId, for: userId)
        guard seq >= 0 else { throw APIError.invalidRequest("seq must not be negative") }
        if let moved = try await conversations.markRead(conversation.id, userId: userId, seq: seq) {
            try await signal(
                ServerFrame.Read(conversationId: conversation.id, userId: userId, seq: moved), key: conversation.id,
                to: conversation.members.map(\.userId))
        }
    }
}
