/// A failure reported by PostgreSQL or by the connection to it.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is, derived from the SQLSTATE.
    public enum Kind: Sendable, Equatable {
        /// No connection could be opened (server down, refused, bad credentials).
        case connectionFailed
        /// The connection broke while the statement ran (e.g. the server restarted); the statement's outcome is
        /// unknown unless it was inside a transaction, which the server then rolled back.
        case connectionLost
        case uniqueViolation
        case foreignKeyViolation
        case serializationFailure
        /// The statement ran longer than the configured statement timeout and was cancelled; the connection is fine.
        case statementTimeout
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
        let kind: Kind =
            switch sqlState {
            case "23505": .uniqueViolation
            case "23503": .foreignKeyViolation
            case "40001", "40P01": .serializationFailure
            case "57014": .statementTimeout
            // Connection exceptions, and the server shutting down or restarting (admin_shutdown, crash_shutdown,
            // cannot_connect_now).
            case let state? where state.hasPrefix("08"): .connectionLost
            case "57P01", "57P02", "57P03": .connectionLost
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
