import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging

/// The product under faults: starts the five services (two chat instances) from release binaries on their own ports
/// against an isolated local stack, keeps a steady chat load over WebSockets through the gateway, injects one fault at
/// a time and restores it, verifies after each that nothing acknowledged was lost or duplicated, runs a login storm,
/// and prints the results as Markdown tables (also written as JSON). Exits non-zero on any violation.
///
/// `scripts/faults.sh` starts the isolated stack, builds the binaries and runs this program.
@main
struct FaultSuite: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fault-suite", abstract: "Inject faults into the running product under load and verify what survived.")

    @Option(help: "Directory of the product's release binaries.") var binDir: String
    @Option(help: "The isolated stack's environment file (scripts/stack.sh writes it).") var stackEnv = ".local/faults/stack/stack.env"
    @Option(help: "The stack script, to restart what the suite kills.") var stackScript = "scripts/stack.sh"
    @Option(help: "Where the report, the services' logs and the PID file go.") var outputDir = ".local/faults"
    @Option(help: "First of six ports: gateway, auth, user, chat a, chat b, notification.") var basePort = 20080
    @Option(help: "Messages per second, all users together.") var rate = 300
    @Option(help: "Group conversations.") var groups = 10
    @Option(help: "Members per group (one of them never connects).") var groupSize = 10
    @Option(help: "auth's bcrypt cost.") var bcryptCost = 12
    @Option(help: "auth's access-token lifetime in seconds.") var accessTokenTtl = 900
    @Option(help: "Seconds of steady load before each fault.") var steady = 5
    @Option(help: "Seconds of load after a fault recovered, before the verification.") var settle = 3
    @Option(help: "Seconds a fault may take to recover before it is a violation.") var recoveryTimeout = 60
    @Option(help: "Seconds a Kafka broker stays down.") var kafkaDown = 10
    @Option(help: "Seconds notification stays down.") var notificationDown = 5
    @Option(help: "Concurrent logins of the login storm.") var stormLogins = 200
    @Option(help: "Loopback addresses (127.0.0.1, .2, …) the storm's logins come from, as from many clients.") var stormAddresses = 25
    @Flag(help: "Write every WebSocket frame of every client to <output-dir>/frames.log (large: for small runs).") var traceFrames = false
    @Option(
        help:
            "Scenarios to run, comma-separated (default: all): redis-master, chat-instance, postgres-restart, documentdb-kill, kafka-broker, notification-kill, login-storm."
    )
    var only = ""

    func validate() throws {
        guard rate > 0, groups > 0, groupSize >= 3 else { throw ValidationError("need a positive rate and groups of 3 or more") }
        // Each online member sends rate / online messages a second; the contract allows 20.
        guard Double(rate) / Double(groups * (groupSize - 1)) <= 10 else {
            throw ValidationError("more than 10 messages/s per user: add groups (the contract allows 20/s per user)")
        }
    }

    func run() async throws {
        let started = ContinuousClock.now
        let output = URL(filePath: outputDir)
        let logs = output.appending(path: "logs")
        // This run's logs only (a service restarted during the run appends to its own).
        try? FileManager.default.removeItem(at: logs)
        try? FileManager.default.removeItem(at: output.appending(path: "frames.log"))
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let log: @Sendable (String) -> Void = { line in
            print(String(format: "[%7.1f s] ", (ContinuousClock.now - started).seconds) + line)
            fflush(nil)
        }
        var logger = Logger(label: "fault-suite")
        logger.logLevel = .warning

        let stack = try StackControl(environmentFile: URL(filePath: stackEnv), script: URL(filePath: stackScript))
        let pidFile = PidFile(url: output.appending(path: "product.pids"))
        let product = Product(
            binDirectory: URL(filePath: binDir), basePort: basePort, stack: stack.environment,
            overrides: [
                "CHAT_BCRYPT_COST": String(bcryptCost),
                "CHAT_ACCESS_TOKEN_TTL_SECONDS": String(accessTokenTtl),
                // The suite's users all come from one address: limits meant for the public stay out of its way.
                "CHAT_RATE_LIMIT_PER_USER": "100000",
                "CHAT_RATE_LIMIT_PER_ADDRESS": "1000000",
                "CHAT_REGISTER_LIMIT_PER_ADDRESS": "100000",
            ],
            logDirectory: logs, pidFile: pidFile)
        let signals = Self.stopOnSignals(pidFile: pidFile)
        defer { signals.forEach { $0.cancel() } }

        let http = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(
                timeout: .init(connect: .seconds(10), read: .seconds(60)),
                connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)))
        var report = Report(
            startedAt: ISO8601DateFormatter().string(from: Date()),
            settings: .init(
                rate: rate, groups: groups, groupSize: groupSize, onlineUsers: groups * (groupSize - 1),
                bcryptCost: bcryptCost, accessTokenTTLSeconds: accessTokenTtl))
        var driver: LoadDriver?
        do {
            log("starting the product from \(binDir) on ports \(basePort)–\(basePort + 5)")
            try await product.start(http: http)
            let gateway = "http://127.0.0.1:\(basePort)"
            let api = API(base: gateway, http: http)
            let ledger = Ledger(groupCount: groups)
            var clientSettings = ClientSettings()
            if traceFrames { clientSettings.trace = try FrameTrace(url: output.appending(path: "frames.log")) }
            log("registering \(groups * groupSize) users (bcrypt cost \(bcryptCost)) and creating \(groups) groups")
            let load = try await LoadDriver.prepare(
                api: api, gateway: gateway, groupCount: groups, groupSize: groupSize, rate: rate,
                settings: clientSettings, ledger: ledger, logger: logger)
            driver = load
            log("opening \(load.clients.count) WebSockets through the gateway")
            try await load.start()
            let verifier = Verifier(api: api, driver: load, ledger: ledger)
            let runner = FaultRunner(
                context: FaultContext(stack: stack, product: product, http: http), driver: load, ledger: ledger,
                verifier: verifier, steady: .seconds(steady), settle: .seconds(settle),
                recoveryTimeout: .seconds(recoveryTimeout), log: log)
            let selected = Set(only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            let wanted: (String) -> Bool = { selected.isEmpty || selected.contains($0) }

            log("steady load of \(rate) messages/s")
            report.faults.append(await runner.baseline())
            for fault in Fault.all(
                kafkaDown: .seconds(kafkaDown), notificationDown: .seconds(notificationDown),
                recoveryTimeout: .seconds(recoveryTimeout)) where wanted(fault.name)
            {
                report.faults.append(await runner.run(fault))
            }
            if wanted("login-storm") {
                log("login storm: \(stormLogins) concurrent logins, the load running")
                load.resume()
                let storm = await LoginStorm(
                    gateway: gateway, users: load.groups.flatMap { $0.clients.map(\.credentials) },
                    count: stormLogins, addresses: stormAddresses
                ).run()
                load.pause()
                log(
                    "login storm: \(storm.firstAnswers.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")); \(storm.succeeded) of \(storm.logins) succeeded in \(storm.seconds.formatted1) s"
                )
                report.loginStorm = storm
            }
            log("final verification (also: no user has a notification twice)")
            let final = await verifier.verify(everyMemberNotifications: true)
            report.finalVerification = final
            log(
                "final verification: \(final.historyMessages) messages, \(final.notificationsChecked) notifications in \(final.seconds.formatted1) s, \(final.violations.count) violations"
            )
            (report.issued, report.acked) = ledger.totals
            report.skippedSends = load.skippedSends
            report.violations =
                report.faults.flatMap { fault in fault.violations.map { "[\(fault.name)] \($0)" } }
                + (report.loginStorm?.violations ?? []).map { "[login-storm] \($0)" }
                + final.violations.map { "[final] \($0)" }
                + ledger.violations.filter { violation in !report.faults.contains { $0.violations.contains(violation) } }.map { "[load] \($0)" }
        } catch {
            report.violations.append("the run stopped: \(error)")
        }
        driver?.stop()
        await product.stop()
        try? await http.shutdown()

        report.seconds = (ContinuousClock.now - started).seconds
        let table = report.markdown
        print("\n" + table + "\n")
        try report.json().write(to: output.appending(path: "fault-suite.json"))
        try (table + "\n").write(to: output.appending(path: "fault-suite.md"), atomically: true, encoding: .utf8)
        print(
            "fault suite: \(report.issued) sends, \(report.acked) acknowledged, \(report.skippedSends) passed over (queue full); report in \(output.path)/fault-suite.json, logs in \(logs.path)"
        )
        if !report.violations.isEmpty {
            print("fault suite: \(report.violations.count) violations:")
            for violation in report.violations.prefix(40) { print("  - \(violation)") }
            if report.violations.count > 40 { print("  … and \(report.violations.count - 40) more in the JSON report") }
            print("fault suite: FAILED after \(report.seconds.formatted0) s")
            throw ExitCode.failure
        }
        print("fault suite: passed in \(report.seconds.formatted0) s")
    }

    /// On SIGINT or SIGTERM: kill the product processes (the stack is the caller's) and exit.
    private static func stopOnSignals(pidFile: PidFile) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let text = (try? String(contentsOf: pidFile.url, encoding: .utf8)) ?? ""
                for pid in text.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
                Foundation.exit(128 + number)
            }
            source.resume()
            return source
        }
    }
}
