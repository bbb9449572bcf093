import Postgres
import ServiceKit

/// The settings of a service's own database: ``ConfigKey/postgresURL``, ``ConfigKey/postgresPoolSize``,
/// ``ConfigKey/postgresStatementTimeoutMilliseconds`` and ``ConfigKey/migrateOnStart``.
public struct DatabaseSettings: Sendable {
    public var url: String
    public var poolSize: Int
    /// 0 means no limit.
    public var statementTimeoutMilliseconds: Int
    public var migrateOnStart: Bool

    public init(_ settings: Settings) throws {
        let reader = settings.reader
        url = reader.string(.postgresURL, default: "postgresql://chat:chat@127.0.0.1:55432/\(settings.service.databaseName)")
        poolSize = try reader.integer(.postgresPoolSize, range: 1...500)
        statementTimeoutMilliseconds = try reader.integer(.postgresStatementTimeoutMilliseconds, range: 0...3_600_000)
        migrateOnStart = try reader.boolean(.migrateOnStart)
    }

    /// The pool's configuration, with `poolSize` connections unless given.
    public func configuration(poolSize: Int? = nil) -> PostgresConfiguration {
        PostgresConfiguration(url: url, poolSize: poolSize ?? self.poolSize, statementTimeoutMilliseconds: statementTimeoutMilliseconds)
    }
}
