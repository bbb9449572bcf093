import Foundation
import Postgres
import Testing

/// Transactions and migrations against the stack's PostgreSQL, each test in a database of its own.
@Suite struct PostgresTests {
    /// Creates a fresh database, runs `body` with a client for it, then drops it.
    func withScratchDatabase(_ body: (PostgresClient, String) async throws -> Void) async throws {
        let admin = PostgresClient(configuration: .init(url: TestStack["CHAT_POSTGRES_ADMIN_URL"], poolSize: 1), logger: TestStack.logger)
        let name = "scratch_\(UUID().uuidString.prefix(8).lowercased())"
        try await admin.query("CREATE DATABASE \(name)")
        let client = PostgresClient(configuration: .init(url: TestStack.postgresURL(database: name), poolSize: 4), logger: TestStack.logger)
        do {
            try await body(client, name)
        } catch {
            _ = try? await admin.query("DROP DATABASE \(name) WITH (FORCE)")
            throw error
        }
        try await admin.query("DROP DATABASE \(name) WITH (FORCE)")
    }

    struct Abort: Error {}

    @Test func aTransactionRollsBackWhenItsBodyThrows() async throws {
        try await withScratchDatabase { client, _ in
            try await client.query("CREATE TABLE items (name text PRIMARY KEY)")
            await #expect(throws: Abort.self) {
                try await client.transaction { transaction in
                    try transaction.query("INSERT INTO items VALUES ($1)", ["kept?"])
                    throw Abort()
                }
            }
            _ = try await client.transaction { transaction in try transaction.query("INSERT INTO items VALUES ($1)", ["kept"]) }
            let names = try await client.query("SELECT name FROM items ORDER BY name").map { $0["name"] }
            #expect(names == ["kept"])
            // A failing statement inside a transaction is typed and rolls the whole transaction back.
            await #expect {
                try await client.transaction { transaction in
                    try transaction.query("INSERT INTO items VALUES ($1)", ["other"])
                    try transaction.query("INSERT INTO items VALUES ($1)", ["kept"])
                }
            } throws: { error in
                (error as? PostgresError)?.kind == .uniqueViolation
            }
            #expect(try await client.query("SELECT count(*) AS n FROM items")[0]["n"] == "1")
        }
    }

    @Test func migrationsApplyOnceEvenWhenRunTwiceAndConcurrently() async throws {
        try await withScratchDatabase { client, name in
            let migrations = [
                PostgresMigration(version: 1, name: "create accounts", sql: """
                    CREATE TABLE accounts (id bigserial PRIMARY KEY, name text NOT NULL);
                    CREATE INDEX accounts_name ON accounts (lower(name));
                    """),
                // Not idempotent on purpose: applying it twice would fail or double the row.
                PostgresMigration(version: 2, name: "seed", sql: "INSERT INTO accounts (name) VALUES ('system');"),
            ]
            let other = PostgresClient(configuration: .init(url: TestStack.postgresURL(database: name), poolSize: 2), logger: TestStack.logger)
            async let first = PostgresMigrator(client: client, migrations: migrations, logger: TestStack.logger).migrate()
            async let second = PostgresMigrator(client: other, migrations: migrations, logger: TestStack.logger).migrate()
            let applied = try await [first, second]
            #expect(applied.flatMap { $0 }.sorted() == [1, 2])
            #expect(try await PostgresMigrator(client: client, migrations: migrations, logger: TestStack.logger).migrate() == [])
            #expect(try await client.query("SELECT count(*) AS n FROM accounts")[0]["n"] == "1")
            #expect(try await client.query("SELECT version FROM schema_migrations ORDER BY version").map { $0["version"] } == ["1", "2"])
        }
    }

    @Test func aPoolOfTenServesTwoHundredConcurrentQueries() async throws {
        try await withScratchDatabase { _, name in
            let client = PostgresClient(configuration: .init(url: TestStack.postgresURL(database: name), poolSize: 10), logger: TestStack.logger)
            let sum = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        try await client.query("SELECT $1::int * 2 AS doubled, pg_sleep(0.01)", [String(index)])[0].decode("doubled")
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(sum == (0..<200).reduce(0) { $0 + $1 * 2 })
            // The pool never holds more than its ten connections (this query uses one of them).
            let open = try await client.query(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [name])
            #expect(try open[0].decode("n", as: Int.self) <= 9)
            #expect(try open[0].decode("n", as: Int.self) >= 1)
        }
    }
}
