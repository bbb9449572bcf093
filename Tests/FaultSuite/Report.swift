import Foundation

/// Everything one run found, as written to JSON.
struct Report: Codable, Sendable {
    struct Settings: Codable, Sendable {
        var rate: Int
        var groups: Int
        var groupSize: Int
        var onlineUsers: Int
        var bcryptCost: Int
        var accessTokenTTLSeconds: Int
    }

    var startedAt: String
    var seconds = 0.0
    var settings: Settings
    var faults: [FaultResult] = []
    var loginStorm: LoginStormResult?
    var finalVerification: VerificationResult?
    var issued = 0
    var acked = 0
    var skippedSends = 0
    /// Every violation of the run, each prefixed with the scenario it was found in.
    var violations: [String] = []

    /// The results as Markdown tables.
    var markdown: String {
        var lines = [
            "| Fault | Recovered | After restore | Outage | Sends | Retried (writes) | Failed attempts | Sockets lost / reconnected | Verified | Result |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for fault in faults {
            let counters = fault.counters
            let failed = counters.failedAttempts.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            let lost = counters.connectionsLost.values.reduce(0, +)
            let verified =
                "\(fault.verification.historyMessages) msgs, \(fault.verification.membersChecked) members, \(fault.verification.notificationsChecked) notifs (\(fault.verification.seconds.formatted1) s)"
            lines.append(
                "| \(fault.name) | \(Self.seconds(fault.recoveredSeconds)) | \(Self.seconds(fault.recoveredAfterRestoreSeconds)) | \(fault.name == "none" ? "—" : fault.outageSeconds.formatted1 + " s") | \(counters.issued) | \(counters.retriedMessages) (\(counters.retries)) | \(failed.isEmpty ? "—" : failed) | \(lost) / \(counters.reconnects) | \(verified) | \(fault.violations.isEmpty ? "ok" : "**\(fault.violations.count) violations**") |"
            )
        }
        if let storm = loginStorm {
            lines += [
                "",
                "| Login storm | First answers | Retries (most for one login) | Retry-After range (s) | Succeeded | Took | First answer p50 / p99 / max | Result |",
                "| --- | --- | --- | --- | --- | --- | --- | --- |",
            ]
            let answers = storm.firstAnswers.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            let retryAfter = storm.retryAfterSeconds.first.map { "\($0)–\(storm.retryAfterSeconds.last ?? $0)" } ?? "—"
            let first = ["p50", "p99", "max"].map { (storm.firstAnswerSeconds[$0] ?? 0).formatted2 }.joined(separator: " / ")
            lines.append(
                "| \(storm.logins) concurrent logins from \(storm.addresses) addresses | \(answers) | \(storm.retries) (\(storm.mostRetries)) | \(retryAfter) | \(storm.succeeded) of \(storm.logins) | \(storm.seconds.formatted1) s | \(first) s | \(storm.violations.isEmpty ? "ok" : "**\(storm.violations.count) violations**") |"
            )
        }
        return lines.joined(separator: "\n")
    }

    private static func seconds(_ value: Double?) -> String { value.map { "\($0.formatted2) s" } ?? "—" }

    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
