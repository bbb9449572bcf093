import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOHTTP1

extension ChatCtl {
    /// The post-deploy smoke test: the path a real user takes through every service, on throwaway accounts.
    ///
    /// Exits 0 when every step passed; otherwise prints the failing step with the status, error code and request id
    /// the gateway answered, and exits 1. It leaves the throwaway users signed out and without push targets.
    struct Smoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Post-deploy smoke test: health, sign-up, a conversation, a message over the WebSocket both ways, history, notifications and push targets."
        )

        @Option(help: "The gateway's base URL.") var gateway: String
        @Option(help: "URL of the push target the test registers and removes again (default: <gateway>/chatctl-smoke-push; it is never called).")
        var pushURL: String?
        @Option(help: "Seconds each step may take.") var stepTimeout: Int = 15

        func run() async throws {
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let client = GatewayClient(base: gateway.trimmingSuffix("/"), http: http)
            let steps = SmokeSteps(
                client: client, pushURL: pushURL ?? gateway.trimmingSuffix("/") + "/chatctl-smoke-push",
                timeout: .seconds(stepTimeout))
            let passed = await steps.run()
            try await http.shutdown()
            if !passed { throw ExitCode.failure }
        }
    }
}

/// The smoke test's steps, each reported on a line of its own.
struct SmokeSteps {
    let client: GatewayClient
    let pushURL: String
    let timeout: Duration

    /// Runs every step in order, stopping at the first failure; returns whether all passed.
    func run() async -> Bool {
        let run = String(UUID().uuidString.prefix(8)).lowercased()
        let password = UUID().uuidString
        var state = State()
        let steps: [(String, (inout State) async throws -> Void)] = [
            (
                "health and readiness",
                { _ in
                    try await client.call(.GET, "/health")
                    try await client.call(.GET, "/ready")
                }
            ),
            (
                "register two throwaway users",
                { state in
                    state.alice = try await register("smoke_\(run)_a", password)
                    state.bob = try await register("smoke_\(run)_b", password)
                }
            ),
            (
                "open a direct conversation",
                { state in
                    let opened = try await client.call(
                        .POST, "/v1/conversations", body: ["type": "direct", "memberId": state.bob.id], token: state.alice.token,
                        expecting: [200, 201])
                    state.conversationId = try require(opened.object["id"] as? String, "no conversation id", opened)
                }
            ),
            (
                "send over the WebSocket and receive on the other side",
                { state in
                    let receiver = try await RealtimeConnection(url: client.webSocketURL, token: state.bob.token, timeout: timeout)
                    let sender = try await RealtimeConnection(url: client.webSocketURL, token: state.alice.token, timeout: timeout)
                    defer {
                        Task {
                            await receiver.close()
                            await sender.close()
                        }
                    }
                    let conversation = state.conversationId
                    try await sender.send([
                        "type": "send", "ref": "smoke", "conversationId": conversation, "clientMessageId": "smoke-\(run)", "body": "smoke \(run)",
                    ])
                    let ack = try await sender.next(within: timeout) { ["ack", "error"].contains($0["type"] as? String) }
                    guard ack["type"] as? String == "ack", let seq = (ack["message"] as? [String: Any])?["seq"] as? Int else {
                        throw GatewayClient.CallFailure(description: "the send was answered with \(ack)")
                    }
                    state.seq = seq
                    _ = try await receiver.next(within: timeout) { frame in
                        let message = frame["message"] as? [String: Any]
                        return frame["type"] as? String == "message" && message?["conversationId"] as? String == conversation
                            && message?["seq"] as? Int == seq
                    }
                }
            ),
            (
                "read it back from history",
                { state in
                    let page = try await client.call(
                        .GET, "/v1/conversations/\(state.conversationId)/messages?after=\(state.seq - 1)&limit=1", token: state.bob.token)
                    let seqs = (page.object["items"] as? [[String: Any]] ?? []).compactMap { $0["seq"] as? Int }
                    _ = try require(seqs == [state.seq] ? true : nil, "history holds \(seqs), not seq \(state.seq)", page)
                }
            ),
            (
                "notifications and push targets answer",
                { state in
                    try await client.call(.GET, "/v1/notifications", token: state.bob.token)
                    try await client.call(.GET, "/v1/notifications/unread-count", token: state.bob.token)
                    let target = try await client.call(
                        .POST, "/v1/notifications/push-targets", body: ["url": pushURL, "secret": UUID().uuidString], token: state.bob.token,
                        expecting: [201])
                    let id = try require(target.object["id"] as? String, "no push target id", target)
                    try await client.call(.GET, "/v1/notifications/push-targets", token: state.bob.token)
                    try await client.call(.DELETE, "/v1/notifications/push-targets/\(id)", token: state.bob.token, expecting: [204])
                }
            ),
            (
                "clean up: sign both users out",
                { state in
                    for user in [state.alice, state.bob] {
                        try await client.call(
                            .POST, "/v1/auth/logout", body: ["refreshToken": user.refreshToken], token: user.token, expecting: [204])
                    }
                }
            ),
        ]
        for (index, (name, step)) in steps.enumerated() {
            let started = ContinuousClock.now
            do {
                try await withDeadline(timeout * 2) { try await step(&state) }
                print("ok    \(index + 1). \(name) (\(milliseconds(since: started)) ms)")
            } catch {
                print("FAIL  \(index + 1). \(name): \(error)")
                print("smoke: failed at step \(index + 1) against \(client.base)")
                return false
            }
        }
        print("smoke: all \(steps.count) steps passed against \(client.base)")
        return true
    }

    struct User {
        var id = ""
        var token = ""
        var refreshToken = ""
    }

    struct State {
        var alice = User()
        var bob = User()
        var conversationId = ""
        var seq = 0
    }

    private func register(_ username: String, _ password: String) async throws -> User {
        let reply = try await client.call(.POST, "/v1/auth/register", body: ["username": username, "password": password], expecting: [201])
        let body = reply.object
        return User(
            id: try require((body["user"] as? [String: Any])?["id"] as? String, "no user id", reply),
            token: try require(body["accessToken"] as? String, "no access token", reply),
            refreshToken: try require(body["refreshToken"] as? String, "no refresh token", reply))
    }

    private func require<T>(_ value: T?, _ message: String, _ reply: GatewayClient.Reply) throws -> T {
        guard let value else { throw GatewayClient.CallFailure(description: "\(message) (request id \(reply.requestId))") }
        return value
    }

    private func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = (ContinuousClock.now - start).components
        return Int(elapsed.seconds) * 1000 + Int(elapsed.attoseconds / 1_000_000_000_000_000)
    }

    /// Runs `body`, failing it when it takes longer than `limit`.
    private func withDeadline(_ limit: Duration, _ body: () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await Task.sleep(for: limit)
                throw GatewayClient.CallFailure(description: "no answer within \(limit)")
            }
            try await body()
            group.cancelAll()
        }
    }
}
