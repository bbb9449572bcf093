import CHiredis

/// Parses RESP replies from a byte stream with hiredis's reader. Not thread-safe: one per connection.
final class RESPReplyReader {
    private let reader: UnsafeMutablePointer<redisReader>

    /// Throws when hiredis cannot allocate a reader (out of memory).
    init() throws {
        guard let reader = redisReaderCreate() else { throw RedisError(kind: .protocolError, message: "hiredis could not allocate a reader") }
        self.reader = reader
    }

    deinit { redisReaderFree(reader) }

    /// Adds received bytes.
    func feed(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        guard redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), bytes.count) == REDIS_OK else {
            throw RedisError(kind: .protocolError, message: errorText)
        }
    }

    /// The next complete reply, or nil when more bytes are needed.
    func next() throws -> RESPValue? {
        var raw: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &raw) == REDIS_OK else {
            throw RedisError(kind: .protocolError, message: errorText)
        }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return Self.value(of: raw.assumingMemoryBound(to: redisReply.self))
    }

    private var errorText: String {
        withUnsafeBytes(of: reader.pointee.errstr) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    private static func value(of reply: UnsafeMutablePointer<redisReply>) -> RESPValue {
        let native = reply.pointee
        func bytes() -> [UInt8] {
            guard let pointer = native.str else { return [] }
            return Array(UnsafeRawBufferPointer(start: pointer, count: Int(native.len)))
        }
        switch native.type {
        case REDIS_REPLY_STRING: return .bulkString(bytes())
        case REDIS_REPLY_STATUS: return .simpleString(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_ERROR: return .error(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_INTEGER: return .integer(native.integer)
        case REDIS_REPLY_ARRAY: return .array((0..<Int(native.elements)).map { value(of: native.element[$0]!) })
        default: return .null
        }
    }

    /// The linked hiredis version, e.g. `0.14.1`.
    static var libraryVersion: String { "\(HIREDIS_MAJOR).\(HIREDIS_MINOR).\(HIREDIS_PATCH)" }
}
