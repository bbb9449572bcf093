import Foundation
import Postgres
import ServiceKit
import Testing

/// Starts the five real executables against the local stack.
@Suite(.timeLimit(.minutes(5)), .serialized) struct ServiceBinariesTests {
    static let ports: [ServiceName: Int] = [.apiGateway: 18080, .auth: 18081, .user: 18082, .chat: 18083, .notification: 18084]

    @Test func everyExecutableAnswersVersionAndHelp() throws {
        for service in ServiceName.allCases {
            let binary = TestStack.binDirectory.appending(path: service.rawValue)
            let version = try runToCompletion(binary, ["--version"])
            #expect(version.status == 0)
            #expect(version.output.trimmingCharacters(in: .whitespacesAndNewlines) == ProductVersion.current)
            let help = try runToCompletion(binary, ["--help"])
            #expect(help.status == 0)
            #expect(help.output.contains("CHAT_HTTP_PORT") && help.output.contains("--print-config-table"))
        }
        let table = try runToCompletion(TestStack.binDirectory.appending(path: "chat"), ["--print-config-table"])
        #expect(table.output.trimmingCharacters(in: .newlines) == ConfigKey.markdownTable)
    }

    @Test func servicesAreHealthyReadyMeasuredAndReportStoppedDependencies() async throws {
        // Dependencies this test may stop without disturbing other tests: a database of its own for auth, a Mongo-wire
        // server of its own for chat, and the auth process itself for the gateway.
        let admin = PostgresClient(configuration: .init(url: TestStack["CHAT_POSTGRES_ADMIN_URL"], poolSize: 1), logger: TestStack.logger)
        let database = "readiness_\(UUID().uuidString.prefix(8).lowercased())"
        try await admin.query("CREATE DATABASE \(database)")
        let mongoPort = 27_150
        let mongo = try SpareMongo(port: mongoPort)

        let upstreams = [
            "CHAT_UPSTREAM_AUTH": ServiceName.auth, "CHAT_UPSTREAM_USER": .user,
            "CHAT_UPSTREAM_CHAT": .chat, "CHAT_UPSTREAM_NOTIFICATION": .notification,
        ]
        .mapValues { "http://127.0.0.1:\(Self.ports[$0]!)" }
        var running: [ServiceName: ServiceProcess] = [:]
        running[.auth] = try ServiceProcess(
            "auth", port: Self.ports[.auth]!,
            environment: ["CHAT_POSTGRES_URL": TestStack.postgresURL(database: database)])
        running[.user] = try ServiceProcess("user", port: Self.ports[.user]!)
        running[.chat] = try ServiceProcess(
            "chat", port: Self.ports[.chat]!,
            environment: [
                "CHAT_MONGO_URI": "mongodb://127.0.0.1:\(mongoPort)/chat?serverSelectionTimeoutMS=1000&connectTimeoutMS=1000"
            ])
        running[.notification] = try ServiceProcess("notification", port: Self.ports[.notification]!)
        running[.apiGateway] = try ServiceProcess("api-gateway", port: Self.ports[.apiGateway]!, environment: upstreams)

        for service in ServiceName.allCases {
            let process = try #require(running[service])
            #expect(try await process.waitFor("/ready", status: 200).contains(#""status":"ready""#))
            let health = try await process.get("/health")
            #expect(health.status == 200 && health.body == #"{"status":"ok"}"#)
            // The gateway keeps its metrics and readiness details on its internal listener only.
            let hasAdminListener = service == .apiGateway
            let metrics = try await process.get("/metrics", admin: hasAdminListener)
            #expect(metrics.status == 200)
            #expect(metrics.body.contains(#"chat_service_info{service="\#(service.rawValue)""#))
            if hasAdminListener {
                #expect(try await process.get("/metrics").status == 404)
                #expect(try await process.get("/ready").body == #"{"status":"ready"}"#)
                #expect(try await process.get("/ready", admin: true).body.contains(#""checks":{"redis":"ok"}"#))
            }
        }

        // auth's database refuses connections → auth is not ready, naming postgres.
        try await admin.query("ALTER DATABASE \(database) ALLOW_CONNECTIONS false")
        try await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [database])
        let authDown = try await running[.auth]!.waitFor("/ready", status: 503, timeout: .seconds(20))
        #expect(authDown.contains(#""code":"unavailable""#) && authDown.contains("postgres:"))

        // chat's Mongo-wire server is stopped → chat is not ready, naming documentdb.
        try mongo.stop()
        let chatDown = try await running[.chat]!.waitFor("/ready", status: 503, timeout: .seconds(20))
        #expect(chatDown.contains("documentdb:"))
        #expect(!chatDown.contains("postgres:"))

        // auth stops gracefully on SIGTERM → the gateway stays ready (one service down must not take the others
        // with it) and answers auth's routes with 503.
        #expect(try await running[.auth]!.terminate() == 0)
        #expect(try await running[.apiGateway]!.get("/ready").status == 200)
        let jwks = try await running[.apiGateway]!.get("/v1/auth/jwks")
        #expect(jwks.status == 503 && jwks.body.contains(#""code":"unavailable""#))

        for service in [ServiceName.apiGateway, .user, .chat, .notification] {
            let status = try await running[service]!.terminate()
            #expect(status == 0, "\(service) exited with \(status)")
        }
        try await admin.query("DROP DATABASE \(database) WITH (FORCE)")
    }
}

/// A Mongo-wire server (nx-27017, in memory) that a test may stop.
final class SpareMongo {
    let process = Process()

    init(port: Int) throws {
        process.executableURL = URL(filePath: "/usr/bin/env")
        let pidFile = FileManager.default.temporaryDirectory.appending(path: "\(TestStack.unique("nx")).pid").path
        process.arguments = [
            "nx-27017", "--db", "memory", "--host", "127.0.0.1", "-p", String(port), "--pid-file", pidFile,
            "--log-file", FileManager.default.temporaryDirectory.appending(path: "\(TestStack.unique("nx")).log").path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Kills the server outright, like a crash (nx-27017 does not stop on SIGTERM).
    func stop() throws {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
