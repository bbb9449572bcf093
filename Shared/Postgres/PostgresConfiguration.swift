/// How a ``PostgresClient`` reaches its database.
public struct PostgresConfiguration: Sendable {
    /// A libpq connection URI, e.g. `postgresql://user:pass@host:5432/db?sslmode=verify-full`.
    public var url: String
    /// The most connections the pool opens; also the number of threads running blocking libpq calls.
    public var poolSize: Int
    /// Seconds libpq waits for a connection to be established.
    public var connectTimeoutSeconds: Int

    /// Longest a statement may run before the server cancels it with ``PostgresError/Kind/statementTimeout``;
    /// 0 means no limit. Set on each connection when it opens.
    public var statementTimeoutMilliseconds: Int

    public init(url: String, poolSize: Int = 10, connectTimeoutSeconds: Int = 5, statementTimeoutMilliseconds: Int = 0) {
        precondition(poolSize > 0 && statementTimeoutMilliseconds >= 0, "a pool has connections; a timeout is not negative")
        self.url = url
        self.poolSize = poolSize
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
    }
}
