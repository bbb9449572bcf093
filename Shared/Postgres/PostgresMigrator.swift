import Logging

/// One versioned schema change of a service.
public struct PostgresMigration: Sendable {
    /// Strictly increasing across a service's migrations; recorded once applied.
    public let version: Int
    public let name: String
    /// Trusted SQL, possibly several statements.
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// Applies a service's migrations exactly once each.
///
/// Each migration runs in its own transaction together with its row in `schema_migrations`. Every transaction first
/// takes a transaction-scoped advisory lock, so instances starting together apply each migration once: the others
/// wait, then see it recorded and skip it. Versions are recorded per `scope` (the service's name), so services
/// sharing one database keep separate version sequences.
public struct PostgresMigrator: Sendable {
    /// Arbitrary constant naming the lock all instances of the product agree on.
    static let advisoryLockKey = "7204611317"

    public let client: PostgresClient
    /// Whose migrations these are (the service's name); versions are unique within a scope.
    public let scope: String
    public let migrations: [PostgresMigration]
    private let logger: Logger

    public init(client: PostgresClient, scope: String, migrations: [PostgresMigration], logger: Logger) {
        precondition(
            zip(migrations, migrations.dropFirst()).allSatisfy { $0.version < $1.version },
            "migration versions must be strictly increasing")
        self.client = client
        self.scope = scope
        self.migrations = migrations
        self.logger = logger
    }

    /// Applies every migration not yet recorded; returns the versions this call applied.
    @discardableResult
    public func migrate() async throws -> [Int] {
        var applied: [Int] = []
        let scope = self.scope
        for migration in migrations {
            let didApply = try await client.transaction { transaction in
                // Waiting for another instance's lock, or a long schema change, must not hit the statement timeout.
                try transaction.query("SELECT set_config('statement_timeout', '0', true)")
                try transaction.query("SELECT pg_advisory_xact_lock($1::bigint)", [Self.advisoryLockKey])
                try transaction.query(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        scope text NOT NULL,
                        version integer NOT NULL,
                        name text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now(),
                        PRIMARY KEY (scope, version))
                    """)
                let recorded = try transaction.query(
                    "SELECT 1 FROM schema_migrations WHERE scope = $1 AND version = $2", [scope, String(migration.version)])
                guard recorded.isEmpty else { return false }
                try transaction.executeScript(migration.sql)
                try transaction.query(
                    "INSERT INTO schema_migrations (scope, version, name) VALUES ($1, $2, $3)",
                    [scope, String(migration.version), migration.name])
                return true
            }
            if didApply {
                logger.info(
                    "applied migration",
                    metadata: [
                        "scope": "\(scope)", "version": "\(migration.version)", "name": "\(migration.name)",
                    ])
                applied.append(migration.version)
            }
        }
        return applied
    }
}
