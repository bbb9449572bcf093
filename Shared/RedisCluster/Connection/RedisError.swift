/// A failure talking to the Redis Cluster.
public struct RedisError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The server answered with an error reply (`ERR`, `WRONGTYPE`, …).
        case server
        /// The connection could not be made or broke.
        case connection
        /// The node did not answer within the command timeout.
        case timeout
        /// Too many MOVED/ASK redirects for one command.
        case tooManyRedirects
        /// Keys of one command map to different slots.
        case crossSlot
        /// No node is known for the slot.
        case slotNotCovered
    }

    public let kind: Kind
    public let message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "Redis \(kind): \(message)" }
}
