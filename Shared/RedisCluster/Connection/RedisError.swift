/// A failure talking to the Redis Cluster.
public struct RedisError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The server answered with an error reply (`ERR`, `WRONGTYPE`, …).
        case server
        /// No connection could be made (the command was not sent).
        case connectionRefused
        /// The connection broke with the command in flight: it may or may not have been applied.
        case connection
        /// The node did not answer within the command timeout.
        case timeout
        /// Too many MOVED/ASK redirects for one command.
        case tooManyRedirects
        /// Keys of one command map to different slots; detected before sending.
        case crossSlot
        /// No node serves the slot, even after waiting out the retry deadline.
        case slotNotCovered
        /// The bytes from the server are not valid RESP.
        case protocolError
        /// TLS could not be used: the node's certificate is not signed by a trusted CA or does not name the node's
        /// address, the node does not speak TLS on that port, or the CA file is unusable. Not retried: it does not
        /// heal by waiting.
        case tls
    }

    public let kind: Kind
    public let message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "Redis \(kind): \(message)" }

    /// Whether the cluster may well answer a retry in a moment: a node down, unreachable or too slow, a slot between
    /// owners. A server's error reply, a bad command or a TLS refusal is not.
    public var isTransient: Bool {
        switch kind {
        case .connectionRefused, .connection, .timeout, .tooManyRedirects, .slotNotCovered: true
        case .server, .crossSlot, .protocolError, .tls: false
        }
    }
}
