import Foundation

/// `message.created` v1 on `chat.messages`: a message was stored in a conversation.
public struct MessageCreated: ConversationEventPayload {
    public static let eventType = "message.created"
    public static let version = 1
    public static let topic = KafkaTopic.messages

    public let conversationId: UUID
    /// The message's id in the document store.
    public let messageId: String
    /// The message's position in its conversation: strictly increasing, assigned by chat.
    public let seq: Int64
    public let senderId: UUID
    /// The sender's own id for the message, unique per sender and conversation (retries reuse it).
    public let clientMessageId: String
    public let body: String
    /// Ids of the message's attachments.
    public let attachmentIds: [String]
    /// The attachments' metadata, in the order of `attachmentIds` (added in v1 as optional: older records lack it).
    public let attachments: [MessageAttachment]?
    public let replyToSeq: Int64?
    public let createdAt: Date
    /// Every member of the conversation when the message was stored, except the sender.
    public let recipientIds: [UUID]
    /// Recipients named as `@username` in the body.
    public let mentionedUserIds: [UUID]

    public init(
        conversationId: UUID, messageId: String, seq: Int64, senderId: UUID, clientMessageId: String, body: String,
        attachmentIds: [String] = [], attachments: [MessageAttachment]? = nil, replyToSeq: Int64? = nil, createdAt: Date, recipientIds: [UUID],
        mentionedUserIds: [UUID] = []
    ) {
        self.conversationId = conversationId
        self.messageId = messageId
        self.seq = seq
        self.senderId = senderId
        self.clientMessageId = clientMessageId
        self.body = body
        self.attachmentIds = attachmentIds
        self.attachments = attachments
        self.replyToSeq = replyToSeq
        self.createdAt = createdAt
        self.recipientIds = recipientIds
        self.mentionedUserIds = mentionedUserIds
    }
}

/// An attachment as a message carries it.
public struct MessageAttachment: Codable, Sendable, Equatable {
    public let id: String
    public let conversationId: String
    public let fileName: String
    public let contentType: String
    public let size: Int64
    /// RFC 3339.
    public let createdAt: String

    public init(id: String, conversationId: String, fileName: String, contentType: String, size: Int64, createdAt: String) {
        self.id = id
        self.conversationId = conversationId
        self.fileName = fileName
        self.contentType = contentType
        self.size = size
        self.createdAt = createdAt
    }
}
