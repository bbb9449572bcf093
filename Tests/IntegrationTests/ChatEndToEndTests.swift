import AsyncHTTPClient
import ChatEvents
import Foundation
import HTTPTypes
import IdentityData
import Kafka
import NIOCore
import NIOHTTP1
import ServiceKit
import Testing

/// The product through its front door: gateway, auth, user and two chat instances, all real executables on the
/// local stack. Clients register and sign in through the gateway and talk to chat over REST and WebSockets.
@Suite(IdentityServices.Scope(specifications: EndToEndStack.processes), .timeLimit(.minutes(3)))
struct ChatEndToEndTests {
    let gateway = IdentityHTTP(port: EndToEndStack.gatewayPort)
    static let chatPorts = EndToEndStack.chatPorts
    static let gatewayPort = EndToEndStack.gatewayPort

    func bearer(_ session: SessionBody) -> [(String, String)] { [("Authorization", "Bearer \(session.accessToken)")] }

    /// Creates a group owned by `owner` with `members` through the gateway (201 required); returns its id.
    func createGroup(by owner: SessionBody, title: String, members: [SessionBody] = []) async throws -> String {
        let created = try await gateway.send(
            .POST, "/v1/conversations",
            json: CreateGroup(
                type: "group", title: title, memberIds: members.map(\.user.id)), headers: bearer(owner))
        try #require(created.status == 201, "\(created.body)")
        return try #require(try JSONSerialization.jsonObject(with: Data(created.body.utf8)) as? [String: Any])["id"] as! String
    }

    /// A WebSocket through the gateway, or straight to chat instance `instance` with the identity the gateway
    /// would pass.
    func connect(_ session: SessionBody, instance: Int? = nil) async throws -> WebSocketTestClient {
        let client: WebSocketTestClient
        if let instance {
            client = try await WebSocketTestClient(
                url: "ws://127.0.0.1:\(Self.chatPorts[instance])/v1/ws",
                headers: [IdentitySigner.headerName: IdentityServices.signer.sign(try session.identity, method: .get, path: "/v1/ws")])
        } else {
            client = try await WebSocketTestClient(
                url: "ws://127.0.0.1:\(Self.gatewayPort)/v1/ws", headers: [.authorization: "Bearer \(session.accessToken)"])
        }
        _ = try await client.next { $0["type"] as? String == "hello" }
        return client
    }

    @Test func identityThroughTheGateway() async throws {
        let session = try await gateway.register("gw")
        let me = try await gateway.send(.GET, "/v1/users/me", headers: bearer(session))
        #expect(me.status == 200)
        #expect(try me.decode(UserRecord.self).id == session.user.id)
        #expect(try await gateway.send(.GET, "/v1/users/me").status == 401)
        // Refresh rotates; the spent token then fails and takes its family with it.
        let refreshed = try await gateway.send(.POST, "/v1/auth/refresh", json: ["refreshToken": session.refreshToken])
        #expect(refreshed.status == 200)
        let second = try refreshed.decode(SessionBody.self)
        #expect(try await gateway.send(.POST, "/v1/auth/refresh", json: ["refreshToken": session.refreshToken]).status == 401)
        #expect(try await gateway.send(.POST, "/v1/auth/refresh", json: ["refreshToken": second.refreshToken]).status == 401)
        // Logout kills the access token at once.
        let fresh = try await gateway.send(.POST, "/v1/auth/login", json: ["username": session.user.username, "password": "correct horse battery"])
        #expect(fresh.status == 200)
        let login = try fresh.decode(SessionBody.self)
        #expect(try await gateway.send(.GET, "/v1/users/me", headers: bearer(login)).status == 200)
        #expect(try await gateway.send(.POST, "/v1/auth/logout", json: ["refreshToken": login.refreshToken], headers: bearer(login)).status == 204)
        #expect(try await gateway.send(.GET, "/v1/users/me", headers: bearer(login)).status == 401)
    }

    @Test func everyUsersEndpointThroughTheGateway() async throws {
        let me = try await gateway.register("usr", displayName: "Zed Example")
        let other = try await gateway.register("oth")
        let headers = bearer(me)
        let patched = try await gateway.send(.PATCH, "/v1/users/me", json: ["displayName": "Zed Changed", "bio": "hello"], headers: headers)
        #expect(try patched.status == 200 && patched.decode(UserRecord.self).bio == "hello")
        #expect(try await gateway.send(.PATCH, "/v1/users/me", json: ["bio": String(repeating: "b", count: 2000)], headers: headers).status == 400)
        let found = try await gateway.send(.GET, "/v1/users?query=\(me.user.username.prefix(6).uppercased())&limit=5", headers: headers)
        #expect(found.status == 200 && found.body.contains(me.user.id))
        #expect(try await gateway.send(.GET, "/v1/users?query=x&limit=500", headers: headers).status == 400)
        let profile = try await gateway.send(.GET, "/v1/users/\(other.user.id)", headers: headers)
        #expect(profile.status == 200 && profile.body.contains(#""presence""#))
        #expect(try await gateway.send(.GET, "/v1/users/\(UUID().uuidString.lowercased())", headers: headers).status == 404)
        let presence = try await gateway.send(.GET, "/v1/users/\(other.user.id)/presence", headers: headers)
        #expect(presence.status == 200 && presence.body.contains(#""status":"offline""#))
        for relation in ["contacts", "blocks"] {
            #expect(try await gateway.send(.PUT, "/v1/users/me/\(relation)/\(other.user.id)", headers: headers).status == 204)
            let listed = try await gateway.send(.GET, "/v1/users/me/\(relation)", headers: headers)
            #expect(listed.status == 200 && listed.body.contains(other.user.id))
            #expect(try await gateway.send(.PUT, "/v1/users/me/\(relation)/\(UUID().uuidString.lowercased())", headers: headers).status == 404)
            #expect(try await gateway.send(.DELETE, "/v1/users/me/\(relation)/\(other.user.id)", headers: headers).status == 204)
        }
        // Every route needs a valid token.
        #expect(try await gateway.send(.GET, "/v1/users/\(other.user.id)").status == 401)
        // The JWKS is public and lists the signing key.
        let jwks = try await gateway.send(.GET, "/v1/auth/jwks")
        #expect(jwks.status == 200 && jwks.body.contains(#""kty":"OKP""#))
        // Register and login errors keep the contract's codes through the gateway.
        #expect(
            try await gateway.send(.POST, "/v1/auth/register", json: ["username": me.user.username, "password": "another password"]).status == 409)
        #expect(try await gateway.send(.POST, "/v1/auth/register", json: ["username": "x", "password": "short"]).status == 400)
        #expect(try await gateway.send(.POST, "/v1/auth/login", json: ["username": me.user.username, "password": "wrong password"]).status == 401)
    }

    @Test func aGroupMessageReachesMembersOnBothInstancesInOrder() async throws {
        let alice = try await gateway.register("alice")
        let bob = try await gateway.register("bob")
        let carol = try await gateway.register("carol")
        let dave = try await gateway.register("dave")
        let erin = try await gateway.register("erin")
        let conversationId = try await createGroup(by: alice, title: "Team", members: [bob, carol, dave, erin])

        let aliceSocket = try await connect(alice)
        let aliceSecondDevice = try await connect(alice, instance: 1)
        let bobSocket = try await connect(bob, instance: 0)
        let carolSocket = try await connect(carol, instance: 1)
        let daveSocket = try await connect(dave, instance: 0)
        let erinSocket = try await connect(erin, instance: 1)
        for index in 1...5 {
            try await aliceSocket.send(json: [
                "type": "send", "ref": "r\(index)", "conversationId": conversationId,
                "clientMessageId": "m\(index)", "body": "hello \(index)",
            ])
        }
        // Acks may overtake each other (each names its ref); the seqs follow the order of the sends.
        var seqByRef: [String: Int] = [:]
        for _ in 1...5 {
            let ack = try await aliceSocket.next { $0["type"] as? String == "ack" }
            seqByRef[ack["ref"] as! String] = (ack["message"] as! [String: Any])["seq"] as? Int
        }
        let acked = (1...5).compactMap { seqByRef["r\($0)"] }
        try #require(acked.count == 5)
        #expect(acked == acked.sorted() && Set(acked).count == 5)
        for socket in [bobSocket, carolSocket, daveSocket, erinSocket, aliceSecondDevice] {
            var seqs: [Int] = []
            for _ in 1...5 {
                let frame = try await socket.next { $0["type"] as? String == "message" }
                seqs.append((frame["message"] as! [String: Any])["seq"] as! Int)
            }
            #expect(seqs == acked)
        }

        // The same clientMessageId again, over REST: the original, not a second message.
        let again = try await gateway.send(
            .POST, "/v1/conversations/\(conversationId)/messages", json: ["clientMessageId": "m1", "body": "hello 1"], headers: bearer(alice))
        #expect(again.status == 200)
        #expect((try JSONSerialization.jsonObject(with: Data(again.body.utf8)) as? [String: Any])?["seq"] as? Int == acked[0])
        let history = try await gateway.send(.GET, "/v1/conversations/\(conversationId)/messages?after=0", headers: bearer(bob))
        let items = (try JSONSerialization.jsonObject(with: Data(history.body.utf8)) as? [String: Any])?["items"] as? [[String: Any]] ?? []
        #expect(items.map { $0["seq"] as? Int } == acked.map(Optional.some))

        // A reconnecting member catches up with sync: exactly the missed messages, in order, then synced.
        let late = try await connect(carol, instance: 0)
        try await late.send(json: ["type": "sync", "conversations": [conversationId: acked[2]]])
        var synced: [Int] = []
        while true {
            let frame = try await late.next { ["message", "synced"].contains($0["type"] as? String) }
            if frame["type"] as? String == "synced" { break }
            synced.append((frame["message"] as! [String: Any])["seq"] as! Int)
        }
        #expect(synced == Array(acked[3...]))

        // Unread counts and read markers.
        let view = try await gateway.send(.GET, "/v1/conversations/\(conversationId)", headers: bearer(bob))
        #expect((try JSONSerialization.jsonObject(with: Data(view.body.utf8)) as? [String: Any])?["unreadCount"] as? Int == 5)
        #expect(
            try await gateway.send(.POST, "/v1/conversations/\(conversationId)/read", json: ["seq": acked[4]], headers: bearer(bob)).status == 204)
        let afterRead = try await gateway.send(.GET, "/v1/conversations/\(conversationId)", headers: bearer(bob))
        #expect((try JSONSerialization.jsonObject(with: Data(afterRead.body.utf8)) as? [String: Any])?["unreadCount"] as? Int == 0)
        for socket in [aliceSocket, aliceSecondDevice, bobSocket, carolSocket, daveSocket, erinSocket, late] { _ = try await socket.close() }
    }

    @Test func sendersOnBothInstancesAtOnceAreDeliveredInSeqOrder() async throws {
        let alice = try await gateway.register("ord")
        let bob = try await gateway.register("orb")
        let carol = try await gateway.register("orc")
        let dave = try await gateway.register("orx")
        let conversationId = try await createGroup(by: alice, title: "Busy", members: [bob, carol, dave])
        let senders = [try await connect(alice, instance: 0), try await connect(bob, instance: 1)]
        let readers = [try await connect(carol, instance: 0), try await connect(dave, instance: 1)]
        let perSender = 40
        // Both send without waiting for acks: two instances allocate and publish the conversation's seqs at once.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, socket) in senders.enumerated() {
                group.addTask {
                    for number in 1...perSender {
                        try await socket.send(json: [
                            "type": "send", "ref": "\(number)", "conversationId": conversationId,
                            "clientMessageId": "s\(index)-\(number)", "body": "message \(number)",
                        ])
                    }
                }
            }
            try await group.waitForAll()
        }
        // Each sender's acks follow the order of its sends.
        for socket in senders {
            var seqByRef: [Int: Int] = [:]
            for _ in 1...perSender {
                let ack = try await socket.next { $0["type"] as? String == "ack" }
                seqByRef[Int(ack["ref"] as! String)!] = (ack["message"] as! [String: Any])["seq"] as? Int
            }
            let seqs = (1...perSender).compactMap { seqByRef[$0] }
            #expect(seqs.count == perSender && seqs == seqs.sorted())
        }
        // Every reader, on either instance, gets all of them in seq order.
        for socket in readers {
            var seqs: [Int] = []
            for _ in 1...(2 * perSender) {
                let frame = try await socket.next { $0["type"] as? String == "message" }
                seqs.append((frame["message"] as! [String: Any])["seq"] as! Int)
            }
            #expect(seqs == Array(1...(2 * perSender)))
        }
        for socket in senders + readers { _ = try await socket.close() }
    }

    @Test func aLostSeqCounterContinuesFromHistory() async throws {
        let owner = try await gateway.register("seq")
        let id = try await createGroup(by: owner, title: "Counter")
        func send(_ clientMessageId: String) async throws -> Int? {
            let sent = try await gateway.send(
                .POST, "/v1/conversations/\(id)/messages", json: ["clientMessageId": clientMessageId, "body": "hi"], headers: bearer(owner))
            #expect(sent.status == 201, "\(sent.body)")
            return (try JSONSerialization.jsonObject(with: Data(sent.body.utf8)) as? [String: Any])?["seq"] as? Int
        }
        for number in 1...3 { #expect(try await send("c\(number)") == number) }
        // What a failover to a replica that missed the last INCRs looks like: the counter is behind what is stored.
        #expect(try await RedisTestCluster.main.client().delete(["chat:seq:{\(id)}"]) == 1)
        #expect(try await send("c4") == 4)
        #expect(try await send("c5") == 5)
        let history = try await gateway.send(.GET, "/v1/conversations/\(id)/messages?after=0", headers: bearer(owner))
        let items = (try JSONSerialization.jsonObject(with: Data(history.body.utf8)) as? [String: Any])?["items"] as? [[String: Any]] ?? []
        #expect(items.compactMap { $0["seq"] as? Int } == [1, 2, 3, 4, 5])
    }

    @Test func nonMembersSeeNothingAndOnlyTheRightPeopleManage() async throws {
        let owner = try await gateway.register("own")
        let member = try await gateway.register("mem")
        let stranger = try await gateway.register("str")
        let id = try await createGroup(by: owner, title: "Private", members: [member])
        #expect(
            try await gateway.send(.POST, "/v1/conversations/\(id)/messages", json: ["clientMessageId": "x", "body": "hi"], headers: bearer(member))
                .status == 201)
        for path in [
            "/v1/conversations/\(id)", "/v1/conversations/\(id)/messages", "/v1/conversations/\(UUID().uuidString)", "/v1/conversations/not-an-id",
        ] {
            #expect(try await gateway.send(.GET, path, headers: bearer(stranger)).status == 404, "\(path)")
        }
        #expect(
            try await gateway.send(
                .POST, "/v1/conversations/\(id)/messages", json: ["clientMessageId": "y", "body": "hi"], headers: bearer(stranger)
            ).status == 404)
        // Over the WebSocket too: sync, send, typing and read of someone else's conversation are not_found.
        let strangerSocket = try await connect(stranger)
        try await strangerSocket.send(json: ["type": "sync", "conversations": [id: 0]])
        #expect(try await strangerSocket.next { $0["type"] as? String == "error" }["code"] as? String == "not_found")
        try await strangerSocket.send(json: ["type": "send", "ref": "s", "conversationId": id, "clientMessageId": "w", "body": "hi"])
        #expect(try await strangerSocket.next { $0["type"] as? String == "error" }["code"] as? String == "not_found")
        try await strangerSocket.send(json: ["type": "typing", "conversationId": id, "state": "start"])
        #expect(try await strangerSocket.next { $0["type"] as? String == "error" }["code"] as? String == "not_found")
        try await strangerSocket.send(json: ["type": "read", "conversationId": id, "seq": 1])
        #expect(try await strangerSocket.next { $0["type"] as? String == "error" }["code"] as? String == "not_found")
        _ = try await strangerSocket.close()
        #expect(try await gateway.send(.PATCH, "/v1/conversations/\(id)/messages/1", json: ["body": "edited"], headers: bearer(owner)).status == 403)
        #expect(try await gateway.send(.PATCH, "/v1/conversations/\(id)/messages/1", json: ["body": "edited"], headers: bearer(member)).status == 200)
        #expect(try await gateway.send(.PATCH, "/v1/conversations/\(id)", json: ["title": "Renamed"], headers: bearer(member)).status == 403)
        #expect(try await gateway.send(.PATCH, "/v1/conversations/\(id)", json: ["title": "Renamed"], headers: bearer(owner)).status == 200)
        #expect(
            try await gateway.send(.POST, "/v1/conversations/\(id)/members", json: ["userIds": [stranger.user.id]], headers: bearer(member)).status
                == 403)
        // Bad input is a 400, never a 500.
        #expect(try await gateway.send(.POST, "/v1/conversations", body: "{not json", headers: bearer(owner)).status == 400)
        #expect(
            try await gateway.send(.POST, "/v1/conversations/\(id)/messages", json: ["clientMessageId": "z", "body": "   "], headers: bearer(owner))
                .status == 400)
        #expect(
            try await gateway.send(
                .POST, "/v1/conversations/\(id)/messages", json: ["clientMessageId": "z", "body": String(repeating: "b", count: 4001)],
                headers: bearer(owner)
            ).status == 400)
    }

    @Test func blocksStopDirectMessagesAndMentionsAreResolved() async throws {
        let alice = try await gateway.register("blk")
        let bob = try await gateway.register("blb")
        let opened = try await gateway.send(.POST, "/v1/conversations", json: ["type": "direct", "memberId": bob.user.id], headers: bearer(alice))
        #expect(opened.status == 201)
        let direct = try #require(try JSONSerialization.jsonObject(with: Data(opened.body.utf8)) as? [String: Any])["id"] as! String
        // A direct message over the WebSocket on one instance reaches the other member on the other instance.
        let aliceSocket = try await connect(alice, instance: 0)
        let bobSocket = try await connect(bob, instance: 1)
        try await aliceSocket.send(json: ["type": "send", "ref": "d1", "conversationId": direct, "clientMessageId": "b1", "body": "hi"])
        let ack = try await aliceSocket.next { $0["type"] as? String == "ack" }
        let delivered = try await bobSocket.next { $0["type"] as? String == "message" }
        #expect(ack["ref"] as? String == "d1" && (ack["message"] as? [String: Any])?["seq"] as? Int == 1)
        #expect((delivered["message"] as? [String: Any])?["body"] as? String == "hi" && (delivered["message"] as? [String: Any])?["seq"] as? Int == 1)
        for socket in [aliceSocket, bobSocket] { _ = try await socket.close() }
        #expect(try await gateway.send(.PUT, "/v1/users/me/blocks/\(alice.user.id)", headers: bearer(bob)).status == 204)
        // Within the block cache's lifetime the block takes effect; both the send and a new direct conversation are refused.
        var status = 0
        for _ in 0..<30 where status != 403 {
            status = try await gateway.send(
                .POST, "/v1/conversations/\(direct)/messages", json: ["clientMessageId": "b2-\(UUID().uuidString)", "body": "hi again"],
                headers: bearer(alice)
            ).status
            if status != 403 { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(status == 403)
        let carol = try await gateway.register("blc")
        #expect(try await gateway.send(.PUT, "/v1/users/me/blocks/\(alice.user.id)", headers: bearer(carol)).status == 204)
        #expect(
            try await gateway.send(.POST, "/v1/conversations", json: ["type": "direct", "memberId": carol.user.id], headers: bearer(alice)).status
                == 403)
        // Only the blocked sender is refused: the one who blocked may still write.
        #expect(
            try await gateway.send(
                .POST, "/v1/conversations/\(direct)/messages", json: ["clientMessageId": "b3", "body": "ok"], headers: bearer(bob)
            ).status == 201)

        // @mentions of members become mentionedUserIds on the bus.
        // A group of its own reading from the start, so the record cannot slip past before its position is set.
        let consumer = try KafkaConsumer(
            configuration: .init(
                .init(brokers: TestStack["CHAT_KAFKA_BROKERS"], properties: ["fetch.wait.max.ms": "10"]), groupId: TestStack.unique("mentions"),
                topics: [KafkaTopic.messages.name], autoOffsetReset: "earliest", sessionTimeoutMilliseconds: 6000), logger: TestStack.logger)
        let groupId = try await createGroup(by: bob, title: "Mentions", members: [carol])
        #expect(
            try await gateway.send(
                .POST, "/v1/conversations/\(groupId)/messages",
                json: ["clientMessageId": "m1", "body": "hey @\(carol.user.username.uppercased()), and @nobody_here"], headers: bearer(bob)
            ).status == 201)
        let mentioned = try await withServiceGroup([consumer]) {
            try await withThrowingTaskGroup(of: [String]?.self) { tasks in
                tasks.addTask {
                    for await record in consumer {
                        if case .messageCreated(let event) = try ChatEvent(from: record.value),
                            event.payload.conversationId.uuidString.lowercased() == groupId
                        {
                            return event.payload.mentionedUserIds.map { $0.uuidString.lowercased() }
                        }
                    }
                    return nil
                }
                tasks.addTask {
                    try await Task.sleep(for: .seconds(60))
                    return nil
                }
                let first = try await tasks.next() ?? nil
                tasks.cancelAll()
                return first
            }
        }
        #expect(mentioned == [carol.user.id])
    }

    @Test func sendsHandledAtOnceAndSendsThatWaitKeepTheOrderTheyCameIn() async throws {
        let alice = try await gateway.register("ord")
        let bob = try await gateway.register("orb")
        let id = try await createGroup(by: alice, title: "Order", members: [bob])
        let socket = try await connect(alice, instance: 0)
        func send(_ ref: String, _ body: String) async throws {
            try await socket.send(json: ["type": "send", "ref": ref, "conversationId": id, "clientMessageId": ref, "body": body])
        }
        // The first send loads the conversation; after it a plain send needs no lookup and is handled on the event loop
        // at once, while one with an @mention waits for the usernames: frames behind it wait too.
        try await send("1", "first")
        #expect(try await socket.next { $0["type"] as? String == "ack" }["ref"] as? String == "1")
        try await send("2", "for @\(bob.user.username)")
        try await send("3", "third")
        try await send("4", String(repeating: "x", count: 4001))
        try await socket.send(json: ["type": "ping", "ref": "5"])
        try await send("6", "sixth")
        var seqs: [String: Int] = [:]
        var others: [String: String] = [:]
        for _ in 0..<5 {
            let answer = try await socket.next { ["ack", "error", "pong"].contains($0["type"] as? String) }
            let ref = try #require(answer["ref"] as? String)
            if answer["type"] as? String == "ack" {
                seqs[ref] = (answer["message"] as? [String: Any])?["seq"] as? Int
            } else {
                others[ref] = answer["code"] as? String ?? answer["type"] as? String
            }
        }
        #expect(seqs == ["2": 2, "3": 3, "6": 4])
        #expect(others == ["4": "invalid_request", "5": "pong"])
    }

    @Test func aGatewayStoppingGracefullyClosesItsRelayedSocketsWith1001() async throws {
        // A gateway of its own in front of the stack's chat instances, stopped as ECS and Kubernetes stop a task.
        let port = 18510
        let stopping = try ServiceProcess("api-gateway", port: port, environment: EndToEndStack.processes.last!.environment)
        try await stopping.waitFor("/health", status: 200)
        let user = try await gateway.register("gwstop")
        let id = try await createGroup(by: user, title: "Gateway stop")
        let socket = try await WebSocketTestClient(url: "ws://127.0.0.1:\(port)/v1/ws", headers: [.authorization: "Bearer \(user.accessToken)"])
        _ = try await socket.next { $0["type"] as? String == "hello" }
        try await socket.send(json: ["type": "send", "ref": "s", "conversationId": id, "clientMessageId": "s", "body": "before the stop"])
        #expect(try await socket.next { $0["type"] as? String == "ack" }["ref"] as? String == "s")
        let started = ContinuousClock.now
        #expect(try await stopping.terminate(timeout: .seconds(10)) == 0)
        let closed = try await socket.closed()
        #expect(closed?.closeCode == .goingAway && closed?.reason == "server shutting down", "\(String(describing: closed))")
        print("the gateway stopped \(ContinuousClock.now - started) after SIGTERM with a relayed socket open")
    }

    @Test func badFramesGetErrorFramesAndOversizedOnesClose() async throws {
        let user = try await gateway.register("frames")
        let socket = try await connect(user)
        try await socket.send("{not json")
        #expect(try await socket.next { $0["type"] as? String == "error" }["code"] as? String == "invalid_request")
        try await socket.send(json: ["type": "teleport"])
        #expect(try await socket.next { $0["type"] as? String == "error" }["code"] as? String == "invalid_request")
        try await socket.send(json: ["type": "send", "ref": "q", "conversationId": UUID().uuidString, "clientMessageId": "c", "body": "hi"])
        let refused = try await socket.next { $0["type"] as? String == "error" }
        #expect(refused["code"] as? String == "not_found" && refused["ref"] as? String == "q")
        try await socket.send(json: ["type": "ping", "ref": "p1"])
        #expect(try await socket.next { $0["type"] as? String == "pong" }["ref"] as? String == "p1")
        try await socket.send(String(repeating: "x", count: 70_000))
        #expect(try await socket.closed()?.closeCode == .messageTooLarge)
    }

    @Test func attachmentsUploadThroughPresignedURLsAndOnlyMembersReachThem() async throws {
        let owner = try await gateway.register("att")
        let stranger = try await gateway.register("atx")
        let conversationId = try await createGroup(by: owner, title: "Files")
        let payload = "attachment bytes"
        let request =
            ["conversationId": conversationId, "fileName": "notes.txt", "contentType": "text/plain", "size": payload.utf8.count] as [String: Any]
        let answer = try await gateway.send(
            .POST, "/v1/attachments", body: String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self),
            headers: bearer(owner))
        #expect(answer.status == 201, "\(answer.body)")
        let upload = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])
        let attachmentId = (upload["attachment"] as! [String: Any])["id"] as! String

        // Not uploaded yet: a message cannot carry it.
        #expect(
            try await gateway.send(
                .POST, "/v1/conversations/\(conversationId)/messages",
                body: #"{"clientMessageId":"a0","body":"","attachmentIds":["\#(attachmentId)"]}"#, headers: bearer(owner)
            ).status == 400)
        var put = HTTPClientRequest(url: upload["uploadUrl"] as! String)
        put.method = .PUT
        // The client sends the signed headers; the HTTP client sets Content-Length from the body itself.
        for (name, value) in upload["uploadHeaders"] as! [String: String] where name != "Content-Length" { put.headers.add(name: name, value: value) }
        put.body = .bytes(ByteBuffer(string: payload))
        #expect(try await HTTPClient.shared.execute(put, timeout: .seconds(10)).status.code == 200)
        let sent = try await gateway.send(
            .POST, "/v1/conversations/\(conversationId)/messages", body: #"{"clientMessageId":"a1","body":"","attachmentIds":["\#(attachmentId)"]}"#,
            headers: bearer(owner))
        #expect(sent.status == 201, "\(sent.body)")
        let attachments = (try JSONSerialization.jsonObject(with: Data(sent.body.utf8)) as? [String: Any])?["attachments"] as? [[String: Any]]
        #expect(attachments?.first?["fileName"] as? String == "notes.txt")

        let download = try await gateway.send(.GET, "/v1/attachments/\(attachmentId)", headers: bearer(owner))
        #expect(download.status == 200)
        let url = try #require((try JSONSerialization.jsonObject(with: Data(download.body.utf8)) as? [String: Any])?["downloadUrl"] as? String)
        let fetched = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        #expect(String(buffer: try await fetched.body.collect(upTo: 1 << 20)) == payload)
        #expect(try await gateway.send(.GET, "/v1/attachments/\(attachmentId)", headers: bearer(stranger)).status == 404)
        // Limits.
        let huge =
            ["conversationId": conversationId, "fileName": "big.zip", "contentType": "application/zip", "size": 26 * 1024 * 1024] as [String: Any]
        #expect(
            try await gateway.send(
                .POST, "/v1/attachments", body: String(decoding: try JSONSerialization.data(withJSONObject: huge), as: UTF8.self),
                headers: bearer(owner)
            ).status == 413)
        let exe = ["conversationId": conversationId, "fileName": "run.exe", "contentType": "application/x-msdownload", "size": 10] as [String: Any]
        #expect(
            try await gateway.send(
                .POST, "/v1/attachments", body: String(decoding: try JSONSerialization.data(withJSONObject: exe), as: UTF8.self),
                headers: bearer(owner)
            ).status == 400)
    }

    struct CreateGroup: Encodable {
        let type: String
        let title: String
        let memberIds: [String]
    }
}

/// The processes of ``ChatEndToEndTests``: the gateway in front of auth, user and two chat instances.
enum EndToEndStack {
    static let stateDirectory = FileManager.default.temporaryDirectory.appending(path: TestStack.unique("e2e-state"))
    static let gatewayPort = 18500
    static let chatPorts = [18503, 18504]
    static let chatEnvironment = ["CHAT_UPSTREAM_AUTH": "http://127.0.0.1:18501", "CHAT_UPSTREAM_USER": "http://127.0.0.1:18502"]
    static let processes: [(name: String, port: Int, environment: [String: String])] = [
        // Every failed login here comes from 127.0.0.1 through the gateway: keep the per-address throttle out of the way.
        ("auth", 18501, ["CHAT_STATE_DIR": stateDirectory.path, "CHAT_LOGIN_FAILURE_LIMIT": "1000"]),
        ("user", 18502, ["CHAT_UPSTREAM_CHAT": chatPorts.map { "http://127.0.0.1:\($0)" }.joined(separator: ",")]),
        ("chat", chatPorts[0], chatEnvironment),
        ("chat", chatPorts[1], chatEnvironment),
        (
            "api-gateway", gatewayPort,
            [
                "CHAT_UPSTREAM_AUTH": "http://127.0.0.1:18501", "CHAT_UPSTREAM_USER": "http://127.0.0.1:18502",
                "CHAT_UPSTREAM_CHAT": chatPorts.map { "http://127.0.0.1:\($0)" }.joined(separator: ","),
                "CHAT_UPSTREAM_NOTIFICATION": "http://127.0.0.1:1",
            ]
        ),
    ]
}
