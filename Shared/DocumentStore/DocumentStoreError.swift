import CMongoC

/// A failure reported by libmongoc or the server.
public struct DocumentStoreError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is; ``duplicateKey`` means the document already exists.
    public enum Kind: Sendable, Equatable {
        case invalidURI
        case duplicateKey
        case timeout
        case connection
        case commandFailed
    }

    public let kind: Kind
    /// The server's or driver's numeric code (11000 for a duplicate key).
    public let code: UInt32
    public let message: String

    public init(kind: Kind, code: UInt32 = 0, message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    /// Classifies a libmongoc `bson_error_t`.
    init(_ error: bson_error_t) {
        let message = withUnsafeBytes(of: error.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let kind: Kind
        switch (error.domain, error.code) {
        case (_, 11000), (_, 11001): kind = .duplicateKey
        // MaxTimeMSExpired: the server stopped an operation that ran past its time limit.
        case (UInt32(MONGOC_ERROR_SERVER.rawValue), 50): kind = .timeout
        case (UInt32(MONGOC_ERROR_STREAM.rawValue), UInt32(MONGOC_ERROR_STREAM_SOCKET.rawValue)) where message.contains("timed out"):
            kind = .timeout
        // No reachable server within serverSelectionTimeoutMS is a connection failure, whatever the wording.
        case (UInt32(MONGOC_ERROR_STREAM.rawValue), _), (UInt32(MONGOC_ERROR_SERVER_SELECTION.rawValue), _):
            kind = .connection
        default: kind = .commandFailed
        }
        self.init(kind: kind, code: error.code, message: message)
    }

    public var description: String { "DocumentDB \(kind) (\(code)): \(message)" }
}
