import Foundation

/// The PostgreSQL settings read at start besides ``Settings``: the statement timeout and whether to migrate at start.
struct PostgresRuntimeSettings: Sendable {
    /// ``ConfigKey/postgresStatementTimeoutMilliseconds``; 0 means no limit.
    var statementTimeoutMilliseconds: Int
    /// ``ConfigKey/migrateOnStart``.
    var migrateOnStart: Bool

    init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func value(_ key: ConfigKey) -> String {
            guard let value = environment[key.name], !value.isEmpty else { return key.localDefault }
            return value
        }
        let timeout = value(.postgresStatementTimeoutMilliseconds)
        guard let milliseconds = Int(timeout), (0...3_600_000).contains(milliseconds) else {
            throw ConfigurationError(key: .postgresStatementTimeoutMilliseconds, value: timeout, expected: "an integer in 0...3600000")
        }
        self.statementTimeoutMilliseconds = milliseconds
        switch value(.migrateOnStart).lowercased() {
        case "true", "1", "yes": self.migrateOnStart = true
        case "false", "0", "no": self.migrateOnStart = false
        case let other: throw ConfigurationError(key: .migrateOnStart, value: other, expected: "true or false")
        }
    }
}
