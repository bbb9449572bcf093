/// Commands that only read, which may be served by a replica when replica reads are enabled.
enum ReadOnlyCommands {
    static let names: Set<String> = [
        "GET", "MGET", "STRLEN", "GETRANGE", "EXISTS", "TTL", "PTTL", "TYPE",
        "HGET", "HMGET", "HGETALL", "HEXISTS", "HLEN", "HKEYS", "HVALS",
        "SMEMBERS", "SISMEMBER", "SMISMEMBER", "SCARD",
        "ZRANGE", "ZRANGEBYSCORE", "ZREVRANGE", "ZREVRANGEBYSCORE", "ZSCORE", "ZMSCORE", "ZCARD", "ZCOUNT", "ZRANK",
        "EVALSHA_RO", "EVAL_RO",
    ]

    static func contains(_ name: String) -> Bool { names.contains(name) }
}
