import Foundation

/// The payload of one kind of event on the bus, versioned with its envelope.
///
/// Compatibility rules: adding an optional field keeps the `version`; renaming, removing or retyping a field, or
/// changing its meaning, is a new `version`, and producers keep sending the old one until every consumer reads the
/// new one. Consumers skip versions they do not know (see ``ChatEvent/unsupported(type:version:)``).
public protocol ChatEventPayload: Codable, Sendable, Equatable {
    /// The envelope's `type`, e.g. `message.created`.
    static var eventType: String { get }
    /// The newest version of this payload that this code writes and reads.
    static var version: Int { get }
    /// The topic events of this type go to.
    static var topic: KafkaTopic { get }
    /// The record key: events with the same key stay in order on one partition.
    var recordKey: UUID { get }
}

/// A payload about one conversation, keyed by it: one conversation's events stay in order on one partition.
public protocol ConversationEventPayload: ChatEventPayload {
    var conversationId: UUID { get }
}

extension ConversationEventPayload {
    public var recordKey: UUID { conversationId }
}
