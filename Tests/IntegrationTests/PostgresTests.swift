import Foundation
import Postgres
import Synchronization
import Testing

/// Transactions and migrations against the stack's PostgreSQL, each test in a database of its own.
@Suite(.timeLimit(.minutes(5))) struct PostgresTests {
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
                PostgresMigration(
                    version: 1, name: "create accounts",
                    sql: """
                        CREATE TABLE accounts (id bigserial PRIMARY KEY, name text NOT NULL);
                        CREATE INDEX accounts_name ON accounts (lower(name));
                        """),
                // Not idempotent on purpose: applying it twice would fail or double the row. It takes longer than
                // the other client's statement timeout.
                PostgresMigration(version: 2, name: "seed", sql: "SELECT pg_sleep(0.2); INSERT INTO accounts (name) VALUES ('system');"),
            ]
            // A statement timeout shorter than the migrations take does not apply to them.
            let other = PostgresClient(
                configuration: .init(url: TestStack.postgresURL(database: name), poolSize: 2, statementTimeoutMilliseconds: 50),
                logger: TestStack.logger)
            async let first = PostgresMigrator(client: client, scope: "accounts", migrations: migrations, logger: TestStack.logger).migrate()
            async let second = PostgresMigrator(client: other, scope: "accounts", migrations: migrations, logger: TestStack.logger).migrate()
            let applied = try await [first, second]
            #expect(applied.flatMap { $0 }.sorted() == [1, 2])
            #expect(try await PostgresMigrator(client: client, scope: "accounts", migrations: migrations, logger: TestStack.logger).migrate() == [])
            #expect(try await client.query("SELECT count(*) AS n FROM accounts")[0]["n"] == "1")
            #expect(try await client.query("SELECT version FROM schema_migrations ORDER BY version").map { $0["version"] } == ["1", "2"])
            // Another service sharing the database keeps its own versions.
            let profiles = [PostgresMigration(version: 1, name: "create profiles", sql: "CREATE TABLE profiles (id bigint PRIMARY KEY);")]
            #expect(try await PostgresMigrator(client: client, scope: "profiles", migrations: profiles, logger: TestStack.logger).migrate() == [1])
            #expect(
                try await client.query("SELECT scope FROM schema_migrations WHERE version = 1 ORDER BY scope").map { $0["scope"] } == [
                    "accounts", "profiles",
                ])
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

    @Test func arrayLiteralsBindEveryElementAsWritten() async throws {
        let values = ["plain", #"a "quoted" word"#, #"back\slash\"#, "{braces},commas", "é, 😀 and 👩‍👩‍👧", "", "NULL", " spaced "]
        try await withScratchDatabase { client, _ in
            let rows = try await client.query(
                "SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n", [PostgresArray.literal(values)])
            #expect(try rows.map { try $0.decode("v", as: String.self) } == values)
        }
    }

    @Test func rowsDecodeIntoTypedValuesAndRefuseTheWrongTypes() async throws {
        try await withScratchDatabase { client, _ in
            try await client.query(
                """
                CREATE TABLE samples (id uuid PRIMARY KEY, name text NOT NULL, total bigint, small int, flag bool,
                                      at timestamptz, doc jsonb, blob bytea, ratio double precision, note text)
                """)
            let id = UUID()
            try await client.query(
                "INSERT INTO samples VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                [
                    id.uuidString, "it's", "9007199254740993", "-7", "true", "2024-02-29T12:34:56.789123Z",
                    #"{"title": "x", "members": [1, 2]}"#, "\\x00ff10", "0.25", nil,
                ])
            let row = try #require(try await client.query("SELECT * FROM samples").first)
            #expect(try row.decode("id") == id)
            #expect(try row.decode("name") == "it's")
            #expect(try row.decode("total", as: Int64.self) == 9_007_199_254_740_993)
            #expect(try row.decode("total", as: Int64?.self) == 9_007_199_254_740_993)
            #expect(try row.decode("small", as: Int.self) == -7)
            #expect(try row.decode("flag") == true)
            #expect(abs(try row.decode("at", as: Date.self).timeIntervalSince1970 - 1_709_210_096.789123) < 0.000_001)
            struct Doc: Decodable, Equatable {
                let title: String
                let members: [Int]
            }
            #expect(try row.decodeJSON("doc", as: Doc.self) == Doc(title: "x", members: [1, 2]))
            #expect(try JSONDecoder().decode(Doc.self, from: row.decode("doc", as: Data.self)) == Doc(title: "x", members: [1, 2]))
            #expect(try row.decode("blob", as: Data.self) == Data([0x00, 0xff, 0x10]))
            #expect(try row.decode("ratio", as: Double.self) == 0.25)
            #expect(try row.decode("note", as: String?.self) == nil)

            // Wrong types, NULL into a non-optional, overflow and unknown columns are typed errors that say why.
            for attempt in [
                { _ = try row.decode("note", as: String.self) },
                { _ = try row.decode("name", as: Int.self) },
                { _ = try row.decode("flag", as: Int.self) },
                { _ = try row.decode("total", as: Bool.self) },
                { _ = try row.decode("total", as: Int32.self) },
                { _ = try row.decode("name", as: UUID.self) },
                { _ = try row.decode("name", as: Data.self) },
                { _ = try row.decode("small", as: Date.self) },
                { _ = try row.decodeJSON("name", as: Doc.self) },
                { _ = try row.decode("absent", as: String.self) },
            ] as [() throws -> Void] {
                #expect { try attempt() } throws: { ($0 as? PostgresError)?.kind == .decoding }
            }
            #expect { try row.decode("name", as: Int.self) } throws: { "\($0)".contains("column name of type text holding 'it's' is not a Int") }

            // Dates come back in UTC whatever the offset they were written with; timestamp and date read as UTC.
            let dates = try await client.query(
                "SELECT '2024-01-01 00:00:00+05:30'::timestamptz AS shifted, '2024-01-01 10:00:00'::timestamp AS plain, '2024-01-02'::date AS day")[0]
            #expect(try dates.decode("shifted", as: Date.self) == Date(timeIntervalSince1970: 1_704_047_400))
            #expect(try dates.decode("plain", as: Date.self) == Date(timeIntervalSince1970: 1_704_103_200))
            #expect(try dates.decode("day", as: Date.self) == Date(timeIntervalSince1970: 1_704_153_600))
        }
    }

    @Test func aStatementPastTheTimeoutFailsTypedAndItsConnectionStaysUsable() async throws {
        let client = PostgresClient(
            configuration: .init(url: TestStack.postgresURL(database: "chat"), poolSize: 1, statementTimeoutMilliseconds: 200),
            logger: TestStack.logger)
        let pid = { try await client.query("SELECT pg_backend_pid() AS pid")[0].decode("pid", as: Int.self) }
        let before = try await pid()
        #expect(try await client.query("SHOW statement_timeout")[0]["statement_timeout"] == "200ms")
        let started = ContinuousClock.now
        await #expect {
            try await client.query("SELECT pg_sleep(5)")
        } throws: { error in
            (error as? PostgresError)?.kind == .statementTimeout && (error as? PostgresError)?.sqlState == "57014"
        }
        #expect(ContinuousClock.now - started < .seconds(4))
        // The same connection (the pool has one) answers the next query.
        #expect(try await pid() == before)
        try await client.shutdown()
    }

    @Test func aPoolOfTenRecoversWhenItsServerRestartsMidRun() async throws {
        let server = try ScratchPostgres.start()
        let client = PostgresClient(configuration: .init(url: server.url, poolSize: 10), logger: TestStack.logger)
        do {
            try await Self.runTwoHundredQueries(client)

            // Work in flight during the restart: five long statements, and a stream of short ones.
            let sleepers = (0..<5).map { _ in Task { try await client.query("SELECT pg_sleep(60)") } }
            let deadline = ContinuousClock.now + .seconds(10)
            while try await client.query(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'")[0]
                .decode("n", as: Int.self) < 5
            {
                guard ContinuousClock.now < deadline else { throw ScratchPostgresError(message: "the sleepers never started") }
                try await Task.sleep(for: .milliseconds(20))
            }
            let running = Running()
            let stream = Task {
                var failures: [PostgresError.Kind] = []
                while running.isOn {
                    do { try await client.query("SELECT 1") } catch let error as PostgresError { failures.append(error.kind) }
                }
                return failures
            }
            try server.restart()
            running.stop()

            for sleeper in sleepers {
                await #expect { try await sleeper.value } throws: { ($0 as? PostgresError)?.kind == .connectionLost }
            }
            let failures = try await stream.value
            #expect(failures.allSatisfy { $0 == .connectionLost || $0 == .connectionFailed }, "\(failures)")

            // Everything after the restart succeeds, through the same pool, without retries.
            try await Self.runTwoHundredQueries(client)
        } catch {
            try? await client.shutdown()
            try? server.stop()
            throw error
        }
        try await client.shutdown()
        try server.stop()
    }

    /// 200 concurrent parameterised queries through a pool of 10: every answer right, never more than 10 sessions.
    static func runTwoHundredQueries(_ client: PostgresClient) async throws {
        let answers = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for index in 0..<200 {
                group.addTask {
                    (index, try await client.query("SELECT $1::int * 2 AS doubled, pg_sleep(0.005)", [String(index)])[0].decode("doubled"))
                }
            }
            return try await group.reduce(into: [Int: Int]()) { $0[$1.0] = $1.1 }
        }
        #expect(answers.count == 200 && answers.allSatisfy { $0.value == $0.key * 2 })
        let sessions = try await client.query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name = 'chat-backend'")
        #expect(try sessions[0].decode("n", as: Int.self) <= 10)
    }
}

/// A switch the test flips to end a loop running in another task.
private final class Running: Sendable {
    private let flag = Mutex(true)
    var isOn: Bool { flag.withLock { $0 } }
    func stop() { flag.withLock { $0 = false } }
}
