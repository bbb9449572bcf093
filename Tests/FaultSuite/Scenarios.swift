import AsyncHTTPClient
import Foundation

/// What a fault needs to break and mend things.
struct FaultContext: Sendable {
    let stack: StackControl
    let product: Product
    let http: HTTPClient
}

/// One fault: how it is injected, when and how it is restored.
struct Fault: Sendable {
    enum RestoreWhen: Sendable {
        /// Restore once the sends recovered without it (the product is expected to work around the fault), failing
        /// when they do not within `max`.
        case recovered(max: Duration)
        /// Restore after a fixed outage (from the injection).
        case after(Duration)
    }

    let name: String
    let summary: String
    let restoreWhen: RestoreWhen
    /// Injects the fault; returns what exactly it broke.
    let inject: @Sendable (FaultContext) async throws -> String
    let restore: @Sendable (FaultContext) async throws -> Void

    /// kill -9 one of the product's processes; restored by starting it again and waiting until it is ready.
    static func killing(
        _ process: KeyPath<Product, ProductProcess> & Sendable, name: String, summary: String, restoreWhen: RestoreWhen
    ) -> Fault {
        Fault(
            name: name, summary: summary, restoreWhen: restoreWhen,
            inject: { context in
                let victim = context.product[keyPath: process]
                await victim.kill9()
                return "\(victim.name) on port \(victim.port)"
            },
            restore: { context in
                let victim = context.product[keyPath: process]
                try victim.start()
                try await victim.waitReady(http: context.http)
            })
    }

    static func all(kafkaDown: Duration, notificationDown: Duration, recoveryTimeout: Duration) -> [Fault] {
        [
            Fault(
                name: "redis-master", summary: "kill -9 a Redis master; restart it once sends recovered",
                restoreWhen: .recovered(max: recoveryTimeout),
                inject: { context in
                    guard let port = try await context.stack.redisMasters().first else { throw SuiteError("no Redis master found") }
                    try context.stack.killRedisNode(port: port)
                    return "master on port \(port)"
                },
                restore: { context in try await context.stack.restartRedis() }),
            .killing(
                \.chatA, name: "chat-instance", summary: "kill -9 one of the two chat instances; restart it once sends recovered",
                restoreWhen: .recovered(max: recoveryTimeout)),
            Fault(
                name: "postgres-restart", summary: "restart PostgreSQL (fast shutdown, start at once)",
                restoreWhen: .after(.zero),
                inject: { context in
                    try await context.stack.stopPostgres()
                    return "stopped"
                },
                restore: { context in try await context.stack.startPostgres() }),
            Fault(
                name: "documentdb-kill", summary: "kill -9 the DocumentDB stand-in (nx-27017); start it at once",
                restoreWhen: .after(.zero),
                inject: { context in
                    try context.stack.killMongo()
                    return "killed"
                },
                restore: { context in try await context.stack.startMongo() }),
            Fault(
                name: "kafka-broker", summary: "Kafka broker 1 down for \(kafkaDown.seconds.formatted0) s, then up",
                restoreWhen: .after(kafkaDown),
                inject: { context in
                    try context.stack.kafka("down 1")
                    return "broker 1 down"
                },
                restore: { context in try context.stack.kafka("up 1") }),
            .killing(
                \.notification, name: "notification-kill",
                summary: "kill -9 notification; start it \(notificationDown.seconds.formatted0) s later", restoreWhen: .after(notificationDown)),
        ]
    }
}

/// The outcome of one fault (or of the baseline, with no fault).
struct FaultResult: Codable, Sendable {
    var name: String
    var summary: String
    var detail = ""
    /// From the injection until every group had an ack for a send issued after the injection.
    var recoveredSeconds: Double?
    /// From the start of the restoration until every group had an ack for a send issued after that start.
    var recoveredAfterRestoreSeconds: Double?
    /// From the injection until the restoration was complete.
    var outageSeconds = 0.0
    /// What the clients went through from the injection until the verification after it was complete.
    var counters = PhaseCounters()
    var verification = VerificationResult()
    var violations: [String] = []
}

/// Runs faults one at a time under the steady load: load for a while, inject, wait for recovery or the outage's end,
/// restore, wait for recovery again, let the load run on for a while, pause it and verify.
struct FaultRunner: Sendable {
    let context: FaultContext
    let driver: LoadDriver
    let ledger: Ledger
    let verifier: Verifier
    let steady: Duration
    let settle: Duration
    let recoveryTimeout: Duration
    let log: @Sendable (String) -> Void

    /// Steady load and a verification, without a fault: the reference for the rows after it.
    func baseline() async -> FaultResult {
        var result = FaultResult(name: "none", summary: "steady load, no fault")
        ledger.setPhase(result.name)
        let before = ledger.violations.count
        driver.resume()
        try? await Task.sleep(for: steady + settle)
        driver.pause()
        result.verification = await verifier.verify()
        result.counters = ledger.counters(result.name)
        result.violations = result.verification.violations + ledger.violations.dropFirst(before)
        log("baseline: \(result.verification.historyMessages) messages verified, \(result.violations.count) violations")
        return result
    }

    func run(_ fault: Fault) async -> FaultResult {
        var result = FaultResult(name: fault.name, summary: fault.summary)
        let before = ledger.violations.count
        ledger.setPhase("before \(fault.name)")
        driver.resume()
        try? await Task.sleep(for: steady)

        ledger.setPhase(fault.name)
        var violations: [String] = []
        let injectedAt = ContinuousClock.now
        let watch = ledger.beginWatch(at: injectedAt)
        log("\(fault.name): injecting (\(fault.summary))")
        do { result.detail = try await fault.inject(context) } catch { violations.append("injection failed: \(error)") }

        var recovered: Duration?
        switch fault.restoreWhen {
        case .recovered(let max):
            recovered = await ledger.waitForRecovery(watch, timeout: max)
            if recovered == nil {
                violations.append(
                    "sends did not recover within \(max) while the fault lasted; groups without an ack: \(ledger.unrecoveredGroups(watch))")
            }
        case .after(let outage):
            try? await Task.sleep(until: injectedAt + outage)
        }

        let restoreStart = ContinuousClock.now
        let afterRestore = ledger.beginWatch(at: restoreStart)
        log("\(fault.name): restoring")
        do { try await fault.restore(context) } catch { violations.append("restoring failed: \(error)") }
        result.outageSeconds = (ContinuousClock.now - injectedAt).seconds
        let recoveredAfterRestore = await ledger.waitForRecovery(afterRestore, timeout: recoveryTimeout)
        if recoveredAfterRestore == nil {
            violations.append(
                "sends did not recover within \(recoveryTimeout) of the restoration; groups without an ack: \(ledger.unrecoveredGroups(afterRestore))"
            )
        }
        if recovered == nil, case .after = fault.restoreWhen { recovered = ledger.recovery(watch) }
        result.recoveredSeconds = recovered?.seconds
        result.recoveredAfterRestoreSeconds = recoveredAfterRestore?.seconds
        log(
            "\(fault.name): recovered after \(recovered.map { "\($0.seconds.formatted2) s" } ?? "—"), after the restoration \(recoveredAfterRestore.map { "\($0.seconds.formatted2) s" } ?? "—")"
        )

        try? await Task.sleep(for: settle)
        driver.pause()
        result.verification = await verifier.verify()
        result.counters = ledger.counters(fault.name)
        result.violations = violations + result.verification.violations + ledger.violations.dropFirst(before)
        log(
            "\(fault.name): \(result.verification.historyMessages) messages verified in \(result.verification.seconds.formatted2) s, \(result.violations.count) violations"
        )
        return result
    }
}

extension Double {
    var formatted0: String { String(format: "%.0f", self) }
    var formatted1: String { String(format: "%.1f", self) }
    var formatted2: String { String(format: "%.2f", self) }
}
