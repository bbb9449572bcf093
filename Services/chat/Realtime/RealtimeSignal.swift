import Foundation
import Kafka

/// `chat.signal` v1 on `chat.events`: a ready-made server frame for a list of users, sent by the chat instance
/// where something happened (an edit, a reaction, typing, a read marker, presence, a conversation change) and
/// delivered by every chat instance to its own connections of those users. Other consumers skip this type.
struct RealtimeSignal: ChatEventPayload {
    static let eventType = "chat.signal"
    static let version = 1
    static let topic = KafkaTopic.events

    /// The record key: the conversation, or for presence the user whose presence changed.
    let conversationId: UUID
    /// Who gets the frame.
    let audience: [String]
    /// The frame's JSON text.
    let frame: String
    /// Typing and presence frames may be dropped for a slow client; others may not.
    let droppable: Bool
}
