import ChatEvents
import Foundation

/// `chat.signal` v2 on `chat.events`: a ready-made server frame for a list of users, sent by the chat instance
/// where something happened (an edit, a reaction, typing, a read marker, presence, a conversation change) and
/// delivered by every chat instance to its own connections of those users. Other consumers skip this type.
///
/// v2 renamed v1's `conversationId` to `key`, which is what it always was: a presence signal is keyed by its user.
/// Version 1 records still decode.
struct RealtimeSignal: ChatEventPayload {
    static let eventType = "chat.signal"
    static let version = 2
    static let topic = KafkaTopic.events

    /// The record key: the conversation the frame is about, or for presence the user whose presence changed.
    let key: UUID
    /// Who gets the frame.
    let audience: [String]
    /// The frame's JSON text.
    let frame: String
    /// Typing and presence frames may be dropped for a slow client; others may not.
    let droppable: Bool

    var recordKey: UUID { key }

    init(key: UUID, audience: [String], frame: String, droppable: Bool) {
        self.key = key
        self.audience = audience
        self.frame = frame
        self.droppable = droppable
    }

    private enum CodingKeys: String, CodingKey { case key, conversationId, audience, frame, droppable }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        key = try container.decodeIfPresent(UUID.self, forKey: .key) ?? container.decode(UUID.self, forKey: .conversationId)
        audience = try container.decode([String].self, forKey: .audience)
        frame = try container.decode(String.self, forKey: .frame)
        droppable = try container.decode(Bool.self, forKey: .droppable)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encode(audience, forKey: .audience)
        try container.encode(frame, forKey: .frame)
        try container.encode(droppable, forKey: .droppable)
    }
}
