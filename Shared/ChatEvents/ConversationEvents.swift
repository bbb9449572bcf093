import Foundation

/// `conversation.created` v1 on `chat.events`: a conversation exists with its first members.
public struct ConversationCreated: ConversationEventPayload {
    public static let eventType = "conversation.created"
    public static let version = 1
    public static let topic = KafkaTopic.events

    public let conversationId: UUID
    public let createdBy: UUID
    /// The title; `nil` for a direct conversation between two users.
    public let title: String?
    /// Every member, the creator included.
    public let memberIds: [UUID]

    public init(conversationId: UUID, createdBy: UUID, title: String?, memberIds: [UUID]) {
        self.conversationId = conversationId
        self.createdBy = createdBy
        self.title = title
        self.memberIds = memberIds
    }
}

/// `conversation.renamed` v1 on `chat.events`: a conversation's title changed.
public struct ConversationRenamed: ConversationEventPayload {
    public static let eventType = "conversation.renamed"
    public static let version = 1
    public static let topic = KafkaTopic.events

    public let conversationId: UUID
    public let renamedBy: UUID
    public let title: String

    public init(conversationId: UUID, renamedBy: UUID, title: String) {
        self.conversationId = conversationId
        self.renamedBy = renamedBy
        self.title = title
    }
}

/// `member.added` v1 on `chat.events`: a user joined a conversation.
public struct MemberAdded: ConversationEventPayload {
    public static let eventType = "member.added"
    public static let version = 1
    public static let topic = KafkaTopic.events

    public let conversationId: UUID
    public let userId: UUID
    public let addedBy: UUID

    public init(conversationId: UUID, userId: UUID, addedBy: UUID) {
        self.conversationId = conversationId
        self.userId = userId
        self.addedBy = addedBy
    }
}

/// `member.removed` v1 on `chat.events`: a user left or was removed from a conversation.
public struct MemberRemoved: ConversationEventPayload {
    public static let eventType = "member.removed"
    public static let version = 1
    public static let topic = KafkaTopic.events

    public let conversationId: UUID
    public let userId: UUID
    /// Who removed the user; the user themself when they left.
    public let removedBy: UUID

    public init(conversationId: UUID, userId: UUID, removedBy: UUID) {
        self.conversationId = conversationId
        self.userId = userId
        self.removedBy = removedBy
    }
}
