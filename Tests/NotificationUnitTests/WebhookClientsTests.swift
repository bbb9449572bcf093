import Synchronization
import Testing

@testable import NotificationService

/// A push resolves its target's name again and connects only to the address it checked (DNS rebinding), with a
/// resolver scripted to answer differently over time.
struct WebhookClientsTests {
    /// Answers each lookup with the next of `answers` (the last one repeats).
    final class ScriptedResolver: Sendable {
        let answers: Mutex<[[String]]>
        init(_ answers: [[String]]) { self.answers = Mutex(answers) }

        func resolve(_ host: String) async -> [IPAddress] {
            answers.withLock { answers in
                let next = answers.count > 1 ? answers.removeFirst() : answers[0]
                return next.compactMap(IPAddress.init)
            }
        }
    }

    @Test func aNameThatRebindsToAPrivateAddressIsRefusedAtThePush() async throws {
        let resolver = ScriptedResolver([["93.184.216.34"], ["169.254.169.254"]])
        let clients = WebhookClients(allowPrivateTargets: false, resolve: resolver.resolve)
        let first = try await clients.route(for: "https://hooks.example.com/push")
        // The connection goes to the address that was checked, under the name.
        #expect(first.address == "93.184.216.34")
        await #expect {
            try await clients.route(for: "https://hooks.example.com/push")
        } throws: { error in
            (error as? WebhookClients.Refused).map { !$0.retryable } ?? false
        }
        await clients.shutdown()
    }

    @Test func oneNonPublicAddressAmongSeveralRefusesTheName() async throws {
        let clients = WebhookClients(allowPrivateTargets: false, resolve: ScriptedResolver([["93.184.216.34", "::ffff:10.0.0.1"]]).resolve)
        await #expect(throws: WebhookClients.Refused.self) { try await clients.route(for: "http://mixed.example.com/") }
        await clients.shutdown()
    }

    @Test func addressLiteralsAreCheckedAndAnUnresolvableNameIsRetried() async throws {
        let clients = WebhookClients(allowPrivateTargets: false, resolve: ScriptedResolver([[]]).resolve)
        await #expect(throws: WebhookClients.Refused.self) { try await clients.route(for: "http://[::1]:8080/") }
        await #expect(throws: WebhookClients.Refused.self) { try await clients.route(for: "http://10.1.2.3/") }
        await #expect {
            try await clients.route(for: "http://gone.example.com/")
        } throws: { error in
            (error as? WebhookClients.Refused)?.retryable ?? false
        }
        await clients.shutdown()
    }

    @Test func aPinnedClientIsReusedForTheSameNameAndAddress() async throws {
        let clients = WebhookClients(allowPrivateTargets: false, resolve: ScriptedResolver([["93.184.216.34"]]).resolve)
        let first = try await clients.route(for: "https://hooks.example.com/a")
        let second = try await clients.route(for: "https://hooks.example.com/b")
        #expect(first.client === second.client && second.address == "93.184.216.34")
        await clients.shutdown()
    }
}
