/// A failure reported by PostgreSQL or by the connection to it.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is, derived from the SQLSTATE.
    public enum Kind: Sendable, Equatable {
        case connectionFailed
        case connectionLost
        case uniqueViolation
        case foreignKeyViolation
        case serializationFailure
        case queryFailed
        case decoding
        case poolClosed
    }

    public let kind: Kind
    /// The five-character SQLSTATE, when the server sent one.
    public let sqlState: String?
    public let message: String

    public init(kind: Kind, sqlState: String? = nil, message: String) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
    }

    /// Builds the error for a server-reported SQLSTATE.
    init(sqlState: String?, message: String) {
        let kind: Kind = switch sqlState {
        case "23505": .uniqueViolation
        case "23503": .foreignKeyViolation
        case "40001", "40P01": .serializationFailure
        case let state? where state.hasPrefix("08"): .connectionLost
        default: .queryFailed
        }
        self.init(kind: kind, sqlState: sqlState, message: message)
    }

    /// Whether running the same transaction again may succeed.
    public var isRetryable: Bool { kind == .serializationFailure }

    public var description: String {
        "PostgreSQL \(kind)" + (sqlState.map { " [\($0)]" } ?? "") + ": \(message)"
    }
}
