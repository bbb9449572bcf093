import Foundation
import HTTPTypes
import NIOHTTP1
import ServiceKit
import Testing

/// A chat instance dies while messages flow: its clients reconnect through the gateway to the survivor and,
/// after `sync`, hold every acknowledged message exactly once (after dedupe by seq).
@Suite(.timeLimit(.minutes(3)), IdentityServices.Scope(specifications: FailoverStack.processes))
struct ChatFailoverTests {
    let gateway = IdentityHTTP(port: FailoverStack.gatewayPort)

    @Test func clientsOfAKilledInstanceCatchUpThroughTheOther() async throws {
        let sender = try await gateway.register("fos")
        let reader = try await gateway.register("for")
        let created = try await gateway.send(
            .POST, "/v1/conversations", body: #"{"type":"group","title":"Failover","memberIds":["\#(reader.user.id)"]}"#,
            headers: [("Authorization", "Bearer \(sender.accessToken)")])
        let conversationId = try #require(try JSONSerialization.jsonObject(with: Data(created.body.utf8)) as? [String: Any])["id"] as! String

        // The sender on the instance that survives, the reader on the one that dies.
        let sending = try await WebSocketTestClient(
            url: "ws://127.0.0.1:\(FailoverStack.chatPorts[0])/v1/ws",
            headers: [IdentitySigner.headerName: IdentityServices.signer.sign(try sender.identity, method: .get, path: "/v1/ws")])
        let reading = try await WebSocketTestClient(
            url: "ws://127.0.0.1:\(FailoverStack.chatPorts[1])/v1/ws",
            headers: [IdentitySigner.headerName: IdentityServices.signer.sign(try reader.identity, method: .get, path: "/v1/ws")])
        _ = try await sending.next { $0["type"] as? String == "hello" }
        _ = try await reading.next { $0["type"] as? String == "hello" }

        var acked: [Int] = []
        var received: [Int] = []
        for index in 1...60 {
            try await sending.send(json: [
                "type": "send", "ref": "r\(index)", "conversationId": conversationId, "clientMessageId": "f\(index)", "body": "m\(index)",
            ])
            let ack = try await sending.next { $0["type"] as? String == "ack" }
            acked.append((ack["message"] as! [String: Any])["seq"] as! Int)
            if index <= 20 {
                let frame = try await reading.next { $0["type"] as? String == "message" }
                received.append((frame["message"] as! [String: Any])["seq"] as! Int)
            }
            if index == 20 { try IdentityServices.running.process("chat@\(FailoverStack.chatPorts[1])").crash() }
        }
        _ = try? await reading.closed()

        // Reconnect through the gateway: the dead instance is skipped; sync from the last seq seen.
        let again = try await WebSocketTestClient(
            url: "ws://127.0.0.1:\(FailoverStack.gatewayPort)/v1/ws",
            headers: [.authorization: "Bearer \(reader.accessToken)"])
        _ = try await again.next { $0["type"] as? String == "hello" }
        try await again.send(json: ["type": "sync", "conversations": [conversationId: received.max() ?? 0]])
        while true {
            let frame = try await again.next { ["message", "synced"].contains($0["type"] as? String) }
            if frame["type"] as? String == "synced" { break }
            received.append((frame["message"] as! [String: Any])["seq"] as! Int)
        }
        #expect(Set(received) == Set(acked), "missing \(Set(acked).subtracting(received).sorted())")
        #expect(received.count == acked.count, "after sync each message arrives once")
        _ = try await again.close()

        // A graceful stop (what ECS and Kubernetes send before replacing a task): the survivor closes its WebSockets
        // with 1001 "going away", so clients reconnect at once, and exits cleanly.
        let stopping = try IdentityServices.running.process("chat")  // the first instance, on chatPorts[0]
        let started = ContinuousClock.now
        #expect(try await stopping.terminate(timeout: .seconds(10)) == 0)
        let elapsed = ContinuousClock.now - started
        #expect(try await sending.closed()?.closeCode == .goingAway)
        // Its sockets' closes were recorded in presence before it exited: the sender, whose only socket that was, is offline.
        let redis = RedisTestCluster.main.client()
        #expect(try await PresenceStore(redis: redis).presence(of: sender.user.id).status == .offline)
        await redis.close()
        print("chat stopped \(elapsed) after SIGTERM with a client connected")
    }
}

/// The processes of ``ChatFailoverTests``: the gateway in front of auth, user and two chat instances.
enum FailoverStack {
    static let stateDirectory = FileManager.default.temporaryDirectory.appending(path: TestStack.unique("failover-state"))
    static let gatewayPort = 18600
    static let chatPorts = [18603, 18604]
    static let chatEnvironment = ["CHAT_UPSTREAM_AUTH": "http://127.0.0.1:18601", "CHAT_UPSTREAM_USER": "http://127.0.0.1:18602"]
    static let processes: [(name: String, port: Int, environment: [String: String])] = [
        ("auth", 18601, ["CHAT_STATE_DIR": stateDirectory.path]),
        ("user", 18602, [:]),
        ("chat", chatPorts[0], chatEnvironment),
        ("chat", chatPorts[1], chatEnvironment),
        (
            "api-gateway", gatewayPort,
            [
                "CHAT_UPSTREAM_AUTH": "http://127.0.0.1:18601", "CHAT_UPSTREAM_USER": "http://127.0.0.1:18602",
                "CHAT_UPSTREAM_CHAT": chatPorts.map { "http://127.0.0.1:\($0)" }.joined(separator: ","),
                "CHAT_UPSTREAM_NOTIFICATION": "http://127.0.0.1:1",
            ]
        ),
    ]
}
