extension RedisClusterClient {
    // MARK: Hashes

    /// `HSET key field value …`; returns how many fields were new.
    @discardableResult
    public func hset(_ key: String, _ fields: [(field: String, value: String)]) async throws -> Int64 {
        try await integer(RedisCommand(["HSET", key] + fields.flatMap { [$0.field, $0.value] }, keys: [key]))
    }

    /// `HGET key field`.
    public func hget(_ key: String, _ field: String) async throws -> String? {
        try await send(RedisCommand(["HGET", key, field], keys: [key])).string
    }

    /// `HGETALL key` as a dictionary.
    public func hgetall(_ key: String) async throws -> [String: String] {
        let items = try await send(RedisCommand(["HGETALL", key], keys: [key])).array ?? []
        var result: [String: String] = [:]
        for index in stride(from: 0, to: items.count - 1, by: 2) {
            if let field = items[index].string { result[field] = items[index + 1].string ?? "" }
        }
        return result
    }

    /// `HINCRBY key field amount`; returns the new value.
    @discardableResult
    public func hincrby(_ key: String, _ field: String, by amount: Int64) async throws -> Int64 {
        try await integer(RedisCommand(["HINCRBY", key, field, String(amount)], keys: [key]))
    }

    /// `HDEL key field …`; returns how many fields were removed.
    @discardableResult
    public func hdel(_ key: String, _ fields: [String]) async throws -> Int64 {
        try await integer(RedisCommand(["HDEL", key] + fields, keys: [key]))
    }

    // MARK: Sets

    /// `SADD key member …`; returns how many members were new.
    @discardableResult
    public func sadd(_ key: String, _ members: [String]) async throws -> Int64 {
        try await integer(RedisCommand(["SADD", key] + members, keys: [key]))
    }

    /// `SREM key member …`; returns how many members were removed.
    @discardableResult
    public func srem(_ key: String, _ members: [String]) async throws -> Int64 {
        try await integer(RedisCommand(["SREM", key] + members, keys: [key]))
    }

    /// `SMEMBERS key`.
    public func smembers(_ key: String) async throws -> Set<String> {
        Set((try await send(RedisCommand(["SMEMBERS", key], keys: [key])).array ?? []).compactMap(\.string))
    }

    /// `SISMEMBER key member`.
    public func sismember(_ key: String, _ member: String) async throws -> Bool {
        try await integer(RedisCommand(["SISMEMBER", key, member], keys: [key])) == 1
    }

    // MARK: Sorted sets

    /// `ZADD key score member …`; returns how many members were new.
    @discardableResult
    public func zadd(_ key: String, _ members: [(score: Double, member: String)]) async throws -> Int64 {
        try await integer(RedisCommand(["ZADD", key] + members.flatMap { [String($0.score), $0.member] }, keys: [key]))
    }

    /// `ZREM key member …`; returns how many members were removed.
    @discardableResult
    public func zrem(_ key: String, _ members: [String]) async throws -> Int64 {
        try await integer(RedisCommand(["ZREM", key] + members, keys: [key]))
    }

    /// `ZRANGE key start stop WITHSCORES` by rank, lowest score first.
    public func zrange(_ key: String, from start: Int, to stop: Int) async throws -> [(member: String, score: Double)] {
        let items = try await send(RedisCommand(["ZRANGE", key, String(start), String(stop), "WITHSCORES"], keys: [key])).array ?? []
        return stride(from: 0, to: items.count - 1, by: 2).compactMap { index in
            guard let member = items[index].string, let score = items[index + 1].string.flatMap(Double.init) else { return nil }
            return (member, score)
        }
    }

    /// `ZSCORE key member`.
    public func zscore(_ key: String, _ member: String) async throws -> Double? {
        try await send(RedisCommand(["ZSCORE", key, member], keys: [key])).string.flatMap(Double.init)
    }

    /// `ZREMRANGEBYSCORE key min max`; returns how many members were removed.
    @discardableResult
    public func zremrangebyscore(_ key: String, min: String, max: String) async throws -> Int64 {
        try await integer(RedisCommand(["ZREMRANGEBYSCORE", key, min, max], keys: [key]))
    }
}
