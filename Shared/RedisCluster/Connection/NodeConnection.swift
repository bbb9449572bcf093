import CHiredis

/// One blocking hiredis connection to a node. Use it only from a worker thread, one caller at a time.
final class NodeConnection {
    private let context: UnsafeMutablePointer<redisContext>
    let address: NodeAddress

    /// Connects, authenticates when credentials are given, with `timeoutMilliseconds` for connect and every reply.
    init(address: NodeAddress, timeoutMilliseconds: Int, username: String?, password: String?) throws {
        let timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: (timeoutMilliseconds % 1000) * 1000)
        guard let context = redisConnectWithTimeout(address.host, Int32(address.port), timeout) else {
            throw RedisError(kind: .connection, message: "cannot allocate a connection to \(address)")
        }
        if context.pointee.err != 0 {
            let message = Self.errorText(context)
            redisFree(context)
            throw RedisError(kind: .connection, message: "\(address): \(message)")
        }
        redisSetTimeout(context, timeout)
        self.context = context
        self.address = address
        if let password {
            let reply = try command(username.map { ["AUTH", $0, password] } ?? ["AUTH", password])
            if case .error(let message) = reply { throw RedisError(kind: .server, message: message) }
        }
    }

    deinit { redisFree(context) }

    /// Sends one command and waits for its reply (error replies are returned, not thrown).
    func command(_ arguments: [String]) throws -> RESPValue {
        let bytes = arguments.map { Array($0.utf8) }
        return try command(bytes)
    }

    func command(_ arguments: [[UInt8]]) throws -> RESPValue {
        let pointers: [UnsafeMutablePointer<CChar>] = arguments.map { argument in
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: max(argument.count, 1))
            argument.withUnsafeBytes { UnsafeMutableRawPointer(copy).copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(copy), byteCount: argument.count) }
            return copy
        }
        defer { pointers.forEach { $0.deallocate() } }
        var argv = pointers.map { UnsafePointer($0) as UnsafePointer<CChar>? }
        var lengths = arguments.map(\.count)
        guard let raw = redisCommandArgv(context, Int32(arguments.count), &argv, &lengths) else {
            let message = Self.errorText(context)
            let timedOut = context.pointee.err == REDIS_ERR_IO && message.contains("temporarily unavailable")
            throw RedisError(kind: timedOut ? .timeout : .connection, message: "\(address): \(message)")
        }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return Self.value(of: reply)
    }

    private static func value(of reply: UnsafeMutablePointer<redisReply>) -> RESPValue {
        let native = reply.pointee
        func text() -> [UInt8] {
            guard let pointer = native.str else { return [] }
            return Array(UnsafeRawBufferPointer(start: pointer, count: Int(native.len)))
        }
        switch native.type {
        case REDIS_REPLY_STRING: return .bulkString(text())
        case REDIS_REPLY_STATUS: return .simpleString(String(decoding: text(), as: UTF8.self))
        case REDIS_REPLY_ERROR: return .error(String(decoding: text(), as: UTF8.self))
        case REDIS_REPLY_INTEGER: return .integer(native.integer)
        case REDIS_REPLY_ARRAY:
            return .array((0..<Int(native.elements)).map { value(of: native.element[$0]!) })
        default: return .null
        }
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// The linked hiredis version, e.g. `0.14.1`.
    static var libraryVersion: String { "\(HIREDIS_MAJOR).\(HIREDIS_MINOR).\(HIREDIS_PATCH)" }
}
