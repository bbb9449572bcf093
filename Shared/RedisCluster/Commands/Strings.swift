/// How long a value set with ``RedisClusterClient/set(_:_:expiration:condition:)`` lives.
public enum RedisExpiration: Sendable {
    case seconds(Int)
    case milliseconds(Int)

    var arguments: [String] {
        switch self {
        case .seconds(let seconds): ["EX", String(seconds)]
        case .milliseconds(let milliseconds): ["PX", String(milliseconds)]
        }
    }
}

/// When ``RedisClusterClient/set(_:_:expiration:condition:)`` may write.
public enum RedisSetCondition: Sendable {
    case always
    /// `NX`: only when the key does not exist.
    case ifNotExists
    /// `XX`: only when the key exists.
    case ifExists
}

extension RedisClusterClient {
    /// `GET key`.
    public func get(_ key: String) async throws -> String? {
        try await send(RedisCommand(["GET", key], keys: [key])).string
    }

    /// `SET key value [EX|PX] [NX|XX]`; returns whether the value was written (false when the condition failed).
    @discardableResult
    public func set(
        _ key: String, _ value: String, expiration: RedisExpiration? = nil, condition: RedisSetCondition = .always
    ) async throws -> Bool {
        var arguments = ["SET", key, value] + (expiration?.arguments ?? [])
        switch condition {
        case .always: break
        case .ifNotExists: arguments.append("NX")
        case .ifExists: arguments.append("XX")
        }
        return try await send(RedisCommand(arguments, keys: [key])) != .null
    }

    /// `SET key value PX milliseconds` (no expiry when nil).
    public func set(_ key: String, _ value: String, expiresInMilliseconds: Int?) async throws {
        try await set(key, value, expiration: expiresInMilliseconds.map { .milliseconds($0) })
    }

    /// `INCRBY key amount`; returns the new value.
    @discardableResult
    public func increment(_ key: String, by amount: Int64 = 1) async throws -> Int64 {
        try await integer(RedisCommand(["INCRBY", key, String(amount)], keys: [key]))
    }

    /// Values of `keys`, in order (nil for missing keys). Keys in different slots are fetched with one `MGET` per
    /// slot, pipelined per node.
    public func mget(_ keys: [String]) async throws -> [String?] {
        let bySlot = Dictionary(grouping: keys.indices, by: { HashSlot(key: keys[$0]) })
        let groups = Array(bySlot.values)
        let replies = try await pipeline(
            groups.map { indexes in
                let slotKeys = indexes.map { keys[$0] }
                return RedisCommand(["MGET"] + slotKeys, keys: slotKeys)
            })
        var values = [String?](repeating: nil, count: keys.count)
        for (indexes, reply) in zip(groups, replies) {
            if case .error(let message) = reply { throw RedisError(kind: .server, message: message) }
            for (index, value) in zip(indexes, reply.array ?? []) { values[index] = value.string }
        }
        return values
    }

    /// Sets every pair; pairs in different slots are written with one `MSET` per slot, pipelined per node.
    /// Atomic per slot only.
    public func mset(_ pairs: [(key: String, value: String)]) async throws {
        let bySlot = Dictionary(grouping: pairs, by: { HashSlot(key: $0.key) })
        let replies = try await pipeline(
            bySlot.values.map { group in
                RedisCommand(["MSET"] + group.flatMap { [$0.key, $0.value] }, keys: group.map(\.key))
            })
        for case .error(let message) in replies { throw RedisError(kind: .server, message: message) }
    }

    /// Deletes `keys` (split per slot); returns how many existed.
    @discardableResult
    public func delete(_ keys: [String]) async throws -> Int {
        let bySlot = Dictionary(grouping: keys, by: { HashSlot(key: $0) })
        let replies = try await pipeline(bySlot.values.map { RedisCommand(["DEL"] + $0, keys: $0) })
        return try replies.reduce(0) { total, reply in
            if case .error(let message) = reply { throw RedisError(kind: .server, message: message) }
            return total + Int(reply.integer ?? 0)
        }
    }

    /// `EXPIRE key seconds`; returns false when the key does not exist.
    @discardableResult
    public func expire(_ key: String, seconds: Int) async throws -> Bool {
        try await integer(RedisCommand(["EXPIRE", key, String(seconds)], keys: [key])) == 1
    }

    /// `PEXPIRE key milliseconds`; returns false when the key does not exist.
    @discardableResult
    public func expire(_ key: String, milliseconds: Int) async throws -> Bool {
        try await integer(RedisCommand(["PEXPIRE", key, String(milliseconds)], keys: [key])) == 1
    }

    /// `TTL key` in seconds: -1 without expiry, -2 when the key does not exist.
    public func ttl(_ key: String) async throws -> Int64 {
        try await integer(RedisCommand(["TTL", key], keys: [key]))
    }

    /// Sends a command whose reply is an integer.
    func integer(_ command: RedisCommand) async throws -> Int64 {
        let reply = try await send(command)
        guard let value = reply.integer else {
            throw RedisError(kind: .protocolError, message: "\(command.name) answered \(reply), not an integer")
        }
        return value
    }
}
