/// The product's Kafka topics and their partition counts — the one place they are defined.
///
/// Every message and event is keyed by conversation id, so one conversation's records stay in order on one partition.
public struct KafkaTopic: Sendable, Hashable {
    public let name: String
    public let partitions: Int

    /// New messages (`message.created`), keyed by conversation id.
    public static let messages = KafkaTopic(name: "chat.messages", partitions: 12)
    /// Conversation and membership events (created, renamed, member added/removed), the realtime signals of chat
    /// instances (edits, deletes, reactions, typing, read markers, presence: `chat.signal`) and
    /// `notification.created`; keyed by conversation id (a presence signal by its user).
    public static let events = KafkaTopic(name: "chat.events", partitions: 6)
    /// Sessions that ended (logout, a refresh token used twice: `session.revoked`), keyed by user id; every chat
    /// instance closes the sockets of the session.
    public static let identity = KafkaTopic(name: "identity.events", partitions: 3)
    /// Pushes that failed after every retry, keyed by user id.
    public static let notificationDeadLetter = KafkaTopic(name: "notification.dead-letter", partitions: 3)

    /// Every topic, as the local stack creates them.
    public static let all: [KafkaTopic] = [messages, events, identity, notificationDeadLetter]
}
