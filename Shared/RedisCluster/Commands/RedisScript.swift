import Crypto

/// A Lua script run with `EVALSHA`, loaded into a node's script cache on first use there (`NOSCRIPT`).
public struct RedisScript: Sendable {
    public let source: String
    /// The SHA-1 of `source`, as Redis names cached scripts.
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        self.sha1 = Insecure.SHA1.hash(data: Array(source.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

extension RedisClusterClient {
    /// Runs `script` with `EVALSHA` on the node serving `keys` (which must share one slot); when that node does not
    /// have it cached yet it is loaded with `SCRIPT LOAD` and run again. Error replies are thrown.
    @discardableResult
    public func evaluate(_ script: RedisScript, keys: [String], arguments: [String] = []) async throws -> RESPValue {
        let command = RedisCommand(["EVALSHA", script.sha1, String(keys.count)] + keys + arguments, keys: keys)
        let slot = try Self.slot(of: command)
        var reply = try await execute(command, slot: slot)
        if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
            let loaded = try await execute(RedisCommand(["SCRIPT", "LOAD", script.source]), slot: slot)
            if case .error(let message) = loaded { throw RedisError(kind: .server, message: message) }
            reply = try await execute(command, slot: slot)
        }
        if case .error(let message) = reply { throw RedisError(kind: .server, message: message) }
        return reply
    }

    /// Runs `script` once per call, all in one pipeline (each call's keys share one slot; calls may be on different
    /// nodes); a node that does not have the script cached yet gets it as in ``evaluate(_:keys:arguments:)``. Error
    /// replies are thrown.
    @discardableResult
    public func evaluate(_ script: RedisScript, each calls: [(keys: [String], arguments: [String])]) async throws -> [RESPValue] {
        var replies = try await pipeline(
            calls.map { call in
                RedisCommand(["EVALSHA", script.sha1, String(call.keys.count)] + call.keys + call.arguments, keys: call.keys)
            })
        for index in replies.indices {
            guard case .error(let message) = replies[index] else { continue }
            guard message.hasPrefix("NOSCRIPT") else { throw RedisError(kind: .server, message: message) }
            replies[index] = try await evaluate(script, keys: calls[index].keys, arguments: calls[index].arguments)
        }
        return replies
    }
}
