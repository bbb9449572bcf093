import Foundation

/// Any event a consumer may read, decoded from a record's value by its envelope's `type` and `version`.
public enum ChatEvent: Sendable, Equatable {
    case messageCreated(EventEnvelope<MessageCreated>)
    case conversationCreated(EventEnvelope<ConversationCreated>)
    case conversationRenamed(EventEnvelope<ConversationRenamed>)
    case memberAdded(EventEnvelope<MemberAdded>)
    case memberRemoved(EventEnvelope<MemberRemoved>)
    case notificationCreated(EventEnvelope<NotificationCreated>)
    case sessionRevoked(EventEnvelope<SessionRevoked>)
    /// A type this code does not know, or a newer version of one it does: skip it (and commit it).
    case unsupported(type: String, version: Int)

    private struct Header: Decodable {
        let type: String
        let version: Int
    }

    /// Decodes a record value; throws when it is not an event envelope at all.
    public init(from value: [UInt8]) throws {
        let data = Data(value)
        let decoder = EventCoding.decoder()
        let header = try decoder.decode(Header.self, from: data)
        func decode<Payload: ChatEventPayload>(_ type: Payload.Type) throws -> EventEnvelope<Payload>? {
            guard header.type == Payload.eventType, header.version <= Payload.version else { return nil }
            return try decoder.decode(EventEnvelope<Payload>.self, from: data)
        }
        if let event = try decode(MessageCreated.self) {
            self = .messageCreated(event)
        } else if let event = try decode(ConversationCreated.self) {
            self = .conversationCreated(event)
        } else if let event = try decode(ConversationRenamed.self) {
            self = .conversationRenamed(event)
        } else if let event = try decode(MemberAdded.self) {
            self = .memberAdded(event)
        } else if let event = try decode(MemberRemoved.self) {
            self = .memberRemoved(event)
        } else if let event = try decode(NotificationCreated.self) {
            self = .notificationCreated(event)
        } else if let event = try decode(SessionRevoked.self) {
            self = .sessionRevoked(event)
        } else {
            self = .unsupported(type: header.type, version: header.version)
        }
    }
}
