import ChatEvents
import Foundation
import Kafka
import NIOHTTP1
import RedisCluster
import ServiceKit
import Synchronization
import Testing

/// The real `notification` executable against the stack: events published to Kafka as chat would, pushes caught by
/// an in-process webhook receiver. Each test has a process, database and consumer group of its own (ports
/// 18480–18489); the suite runs its tests one after another to keep the 2-core machine's load predictable.
@Suite(.timeLimit(.minutes(5)), .serialized) struct NotificationServiceTests {
    static let secret = "a-webhook-secret-of-some-length"

    static func id(_ uuid: UUID) -> String { uuid.uuidString.lowercased() }

    /// Publishes a message from `sender` to `recipients`, as chat does after storing it.
    @discardableResult
    static func publishMessage(
        _ conversation: UUID, seq: Int64, from sender: UUID, to recipients: [UUID], mentioning: [UUID] = [],
        body: String = "hello", at createdAt: Date = Date()
    ) async throws -> KafkaDeliveryReport {
        try await NotificationInstance.producer.publish(
            EventEnvelope(
                MessageCreated(
                    conversationId: conversation, messageId: "m-\(seq)", seq: seq, senderId: sender, clientMessageId: UUID().uuidString,
                    body: body, createdAt: createdAt, recipientIds: recipients, mentionedUserIds: mentioning)))
    }

    /// Runs `body` with a started instance (consuming every partition unless `consuming` is false) and receiver, stopping both afterwards even when `body` fails.
    static func withInstance(
        port: Int, environment: [String: String] = [:], consuming: Bool = true,
        _ body: (NotificationInstance, WebhookReceiver) async throws -> Void
    ) async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        let instance = try await NotificationInstance.start(port: port, environment: environment, awaitingPartitions: consuming)
        let outcome: Result<Void, any Error>
        do { outcome = .success(try await body(instance, receiver)) } catch { outcome = .failure(error) }
        receiver.stop()
        try await instance.stop()
        try outcome.get()
    }

    @Test func offlineUsersArePushedOnlineAndMutedUsersAreNot() async throws {
        try await Self.withInstance(port: 18480) { instance, receiver in
            let conversation = UUID()
            let sender = UUID()
            let offline = UUID()
            let online = UUID()
            let muted = UUID()
            let mentioned = UUID()
            let added = UUID()
            let mentionedOnline = UUID()
            for (user, hook) in [
                (offline, "offline"), (online, "online"), (muted, "muted"), (mentioned, "mentioned"), (added, "added"),
                (mentionedOnline, "mentioned-online"),
            ] {
                try await instance.addTarget(for: user, url: receiver.url("\(hook)-\(Self.id(user))"), secret: Self.secret)
            }
            func hook(_ name: String, _ user: UUID) -> String { "\(name)-\(Self.id(user))" }
            #expect(try await instance.call(.PUT, "/v1/notifications/mutes/\(Self.id(conversation))", as: muted).status == 204)
            let redis = RedisTestCluster.main.client()
            try await PresenceStore(redis: redis).connected(userId: Self.id(online), connectionId: "test-connection")
            try await PresenceStore(redis: redis).connected(userId: Self.id(mentionedOnline), connectionId: "test-connection")
            // chat.events is read from its start: the test filters it by user.
            let frames = try KafkaConsumer(
                configuration: .init(
                    .init(brokers: TestStack["CHAT_KAFKA_BROKERS"]), groupId: TestStack.unique("frames"),
                    topics: [KafkaTopic.events.name]),
                logger: TestStack.logger)

            try await Self.publishMessage(
                conversation, seq: 7, from: sender, to: [offline, online, muted, mentioned, mentionedOnline],
                mentioning: [mentioned, mentionedOnline], body: "hi @someone")
            try await NotificationInstance.producer.publish(EventEnvelope(MemberAdded(conversationId: conversation, userId: added, addedBy: sender)))

            try await eventually("pushes for the offline, mentioned and added users") {
                !receiver.received(hook("offline", offline)).isEmpty && !receiver.received(hook("mentioned", mentioned)).isEmpty
                    && !receiver.received(hook("added", added)).isEmpty
            }
            try await eventually("the outbox drains") { try await instance.pendingPushes() == 0 }

            let push = try #require(receiver.received(hook("offline", offline)).first)
            #expect(receiver.received(hook("offline", offline)).count == 1)
            #expect(push.signatureVerifies(secret: Self.secret))
            #expect(!push.signatureVerifies(secret: "another-secret-of-some-length"))
            let body = try JSONDecoder().decode(WebhookReceiver.PushBody.self, from: push.body)
            #expect(body.deliveryId == push.deliveryId && body.userId == Self.id(offline) && body.type == "notification")
            #expect(body.notification.type == "message" && body.notification.seq == 7 && body.notification.preview == "hi @someone")
            #expect(body.notification.conversationId == Self.id(conversation) && body.notification.actorId == Self.id(sender))

            #expect(receiver.received(hook("mentioned", mentioned)).first?.notification?.type == "mention")
            let addedPush = try #require(receiver.received(hook("added", added)).first?.notification)
            #expect(addedPush.type == "added_to_conversation" && addedPush.seq == nil)
            // Online: an ordinary message (delivered live) is neither stored nor pushed; a mention while online is
            // stored and framed, not pushed; muted: nothing.
            #expect(receiver.received(hook("online", online)).isEmpty)
            #expect(receiver.received(hook("mentioned-online", mentionedOnline)).isEmpty)
            #expect(receiver.received(hook("muted", muted)).isEmpty)
            #expect(try await instance.call(.GET, "/v1/notifications", as: online).body.contains(#""items":[]"#))
            let mentionList = try await instance.call(.GET, "/v1/notifications", as: mentionedOnline)
            #expect(mentionList.status == 200 && mentionList.body.contains(#""type":"mention""#))
            #expect(try await instance.call(.GET, "/v1/notifications", as: muted).body.contains(#""items":[]"#))

            // Only the online mention went to chat as notification.created (no frame for the ordinary message).
            let framed = try await withServiceGroup([frames]) { () -> [NotificationCreated] in
                var framed: [NotificationCreated] = []
                for await record in frames {
                    guard case .notificationCreated(let event) = try ChatEvent(from: record.value),
                        [online, mentionedOnline].contains(event.payload.userId)
                    else { continue }
                    framed.append(event.payload)
                    if event.payload.userId == mentionedOnline { break }
                }
                return framed
            }
            #expect(framed.count == 1 && framed.first?.kind == "mention" && framed.first?.seq == 7)

            // A redelivered event (same conversation, seq and recipients) creates nothing new.
            try await Self.publishMessage(conversation, seq: 7, from: sender, to: [offline], body: "hi @someone")
            try await Self.publishMessage(conversation, seq: 8, from: sender, to: [offline], body: "marker")
            try await eventually("the marker push") { receiver.received(hook("offline", offline)).count == 2 }
            #expect(receiver.received(hook("offline", offline)).compactMap(\.notification?.seq) == [7, 8])
        }
    }

    @Test func listsPagesCountsAndMarksRead() async throws {
        try await Self.withInstance(port: 18481) { instance, _ in
            let conversation = UUID()
            let sender = UUID()
            let reader = UUID()
            // A second apart: notifications of the same millisecond are listed in id order, not seq order.
            let start = Date()
            for seq in 1...5 {
                try await Self.publishMessage(
                    conversation, seq: Int64(seq), from: sender, to: [reader], body: "m\(seq)",
                    at: start.addingTimeInterval(Double(seq)))
            }
            try await eventually("five notifications") {
                try await instance.call(.GET, "/v1/notifications/unread-count", as: reader).body == #"{"count":5}"#
            }
            struct Item: Decodable {
                let id: String
                let seq: Int64?
                let read: Bool
                let preview: String
            }
            struct ListPage: Decodable {
                let items: [Item]
                let nextCursor: String?
            }
            let first = try JSONDecoder().decode(
                ListPage.self, from: Data(try await instance.call(.GET, "/v1/notifications?limit=3", as: reader).body.utf8))
            try #require(first.items.map(\.seq) == [5, 4, 3])
            let cursor = try #require(first.nextCursor)
            let second = try JSONDecoder().decode(
                ListPage.self, from: Data(try await instance.call(.GET, "/v1/notifications?limit=3&cursor=\(cursor)", as: reader).body.utf8))
            try #require(second.items.map(\.seq) == [2, 1])
            #expect(second.nextCursor == nil)
            let followedAlone = try await instance.call(.GET, "/v1/notifications?cursor=\(cursor)", as: reader)
            #expect(try JSONDecoder().decode(ListPage.self, from: Data(followedAlone.body.utf8)).items.map(\.seq) == [2, 1])

            // Notifications of one instant page one by one without losing or repeating any.
            let sameInstant = Date()
            let tied = UUID()
            for seq in 1...4 { try await Self.publishMessage(conversation, seq: Int64(seq), from: sender, to: [tied], at: sameInstant) }
            try await eventually("four notifications of one instant") {
                try await instance.call(.GET, "/v1/notifications/unread-count", as: tied).body == #"{"count":4}"#
            }
            var paged: [Int64] = []
            var position: String? = nil
            repeat {
                let query = position.map { "?limit=1&cursor=\($0)" } ?? "?limit=1"
                let page = try JSONDecoder().decode(
                    ListPage.self, from: Data(try await instance.call(.GET, "/v1/notifications\(query)", as: tied).body.utf8))
                paged += page.items.compactMap(\.seq)
                position = page.nextCursor
            } while position != nil && paged.count <= 4
            #expect(paged.sorted() == [1, 2, 3, 4])

            #expect(
                try await instance.call(
                    .POST, "/v1/notifications/read", as: reader, body: #"{"ids":["\#(first.items[0].id)","\#(second.items[1].id)"]}"#
                ).status == 204)
            #expect(try await instance.call(.GET, "/v1/notifications/unread-count", as: reader).body == #"{"count":3}"#)
            let afterRead = try JSONDecoder().decode(
                ListPage.self, from: Data(try await instance.call(.GET, "/v1/notifications", as: reader).body.utf8))
            #expect(afterRead.items.map(\.read) == [true, false, false, false, true])
            // Someone else's id, an unknown id or a non-id: 404, and nothing changes.
            let stranger = UUID()
            #expect(try await instance.call(.POST, "/v1/notifications/read", as: stranger, body: #"{"ids":["\#(first.items[1].id)"]}"#).status == 404)
            #expect(
                try await instance.call(.POST, "/v1/notifications/read", as: reader, body: #"{"ids":["\#(first.items[1].id)","\#(UUID())"]}"#).status
                    == 404)
            #expect(try await instance.call(.POST, "/v1/notifications/read", as: reader, body: #"{"ids":["nope"]}"#).status == 404)
            #expect(try await instance.call(.GET, "/v1/notifications/unread-count", as: reader).body == #"{"count":3}"#)
            #expect(try await instance.call(.POST, "/v1/notifications/read", as: reader, body: #"{"all":true}"#).status == 204)
            #expect(try await instance.call(.GET, "/v1/notifications/unread-count", as: reader).body == #"{"count":0}"#)

            // Bad input: 400 invalid_request (never 500); no identity: 401.
            for (method, path, body) in [
                (HTTPMethod.POST, "/v1/notifications/read", "{}"), (.POST, "/v1/notifications/read", #"{"all":false}"#),
                (.POST, "/v1/notifications/read", #"{"ids":[]}"#), (.POST, "/v1/notifications/read", #"{"ids":["a"],"all":true}"#),
                (.POST, "/v1/notifications/read", "not json"), (.GET, "/v1/notifications?limit=0", nil),
                (.GET, "/v1/notifications?limit=201", nil), (.GET, "/v1/notifications?cursor=%%%", nil),
                (.GET, "/v1/notifications?cursor=bm9wZQ", nil),
                (.GET, "/v1/notifications?cursor=\(Base64URL.encode(Array(#"{"createdAt":"x","id":"y"}"#.utf8)))", nil),
                (.POST, "/v1/notifications/push-targets", #"{"url":"ftp://example.com/x","secret":"0123456789abcdef"}"#),
                (.POST, "/v1/notifications/push-targets", #"{"url":"http://127.0.0.1/x","secret":"short"}"#),
                (.POST, "/v1/notifications/push-targets", #"{"url":"not a url","secret":"0123456789abcdef"}"#),
                (.POST, "/v1/notifications/push-targets", #"{"secret":"0123456789abcdef"}"#),
            ] as [(HTTPMethod, String, String?)] {
                let reply = try await instance.call(method, path, as: reader, body: body)
                #expect(
                    reply.status == 400 && reply.body.contains(#""code":"invalid_request""#),
                    "\(method) \(path) \(body ?? ""): \(reply.status) \(reply.body)")
            }
            #expect(try await instance.call(.DELETE, "/v1/notifications/push-targets/\(UUID())", as: reader).status == 404)
            #expect(try await instance.call(.DELETE, "/v1/notifications/push-targets/nope", as: reader).status == 404)
            #expect(try await instance.call(.PUT, "/v1/notifications/mutes/nope", as: reader).status == 404)
            #expect(try await instance.call(.GET, "/v1/notifications", as: nil).status == 401)

            // Push targets: created, listed, deleted (only by their owner).
            let target = try await instance.addTarget(for: reader, url: "http://127.0.0.1:9/hook", secret: Self.secret)
            #expect(try await instance.call(.GET, "/v1/notifications/push-targets", as: reader).body.contains(target))
            #expect(try await instance.call(.DELETE, "/v1/notifications/push-targets/\(target)", as: stranger).status == 404)
            #expect(try await instance.call(.DELETE, "/v1/notifications/push-targets/\(target)", as: reader).status == 204)
            #expect(try await instance.call(.GET, "/v1/notifications/push-targets", as: reader).body.contains(#""items":[]"#))
        }
    }

    @Test func failedPushesAreRetriedWithOneDeliveryIdThenDeadLettered() async throws {
        try await Self.withInstance(port: 18482) { instance, receiver in
            let conversation = UUID()
            let sender = UUID()
            let flaky = UUID()
            let broken = UUID()
            let gone = UUID()
            receiver.script("flaky", [500, 500, 200])
            receiver.script("broken", [500])
            receiver.script("gone", [410])
            try await instance.addTarget(for: flaky, url: receiver.url("flaky"), secret: Self.secret)
            try await instance.addTarget(for: broken, url: receiver.url("broken"), secret: Self.secret)
            try await instance.addTarget(for: gone, url: receiver.url("gone"), secret: Self.secret)
            let deadLetters = try KafkaConsumer(
                configuration: .init(
                    .init(brokers: TestStack["CHAT_KAFKA_BROKERS"]), groupId: TestStack.unique("dead-letters"),
                    topics: [KafkaTopic.notificationDeadLetter.name]),
                logger: TestStack.logger)

            try await Self.publishMessage(conversation, seq: 1, from: sender, to: [flaky, broken, gone])

            try await eventually("three attempts at the flaky and broken targets") {
                receiver.received("flaky").count == 3 && receiver.received("broken").count == 3
            }
            try await eventually("the outbox drains") { try await instance.pendingPushes() == 0 }
            // 500, 500, 200: three attempts, one delivery id, identical signed bodies.
            let flakyPushes = receiver.received("flaky")
            #expect(flakyPushes.count == 3 && Set(flakyPushes.map(\.deliveryId)).count == 1)
            #expect(Set(flakyPushes.map(\.body)).count == 1 && flakyPushes.allSatisfy { $0.signatureVerifies(secret: Self.secret) })
            // Retried with backoff: each attempt at least half the (doubling) base delay after the previous one.
            #expect(flakyPushes[1].receivedAt - flakyPushes[0].receivedAt >= .milliseconds(25))
            #expect(flakyPushes[2].receivedAt - flakyPushes[1].receivedAt >= .milliseconds(50))

            // Always 500: after the configured 3 attempts, on the dead-letter topic keyed by the user.
            struct DeadLetterBody: Decodable {
                let attempts: Int
                let deliveryId: String
                let userId: String
                let lastError: String
                let url: String
            }
            let letter = try await withServiceGroup([deadLetters]) { () -> (key: String, body: DeadLetterBody)? in
                for await record in deadLetters {
                    let key = String(decoding: record.key ?? [], as: UTF8.self)
                    guard key == Self.id(broken) else { continue }
                    return (key, try JSONDecoder().decode(DeadLetterBody.self, from: Data(record.value)))
                }
                return nil
            }
            #expect(letter?.body.attempts == 3 && letter?.body.lastError == "HTTP 500" && letter?.body.url == receiver.url("broken"))
            #expect(letter?.body.deliveryId == receiver.received("broken").first?.deliveryId)
            #expect(receiver.received("broken").count == 3)

            // 410: one attempt, and the target is gone.
            #expect(receiver.received("gone").count == 1)
            #expect(try await instance.call(.GET, "/v1/notifications/push-targets", as: gone).body.contains(#""items":[]"#))
        }
    }

    @Test func privateTargetsAreRefusedUnlessAllowed() async throws {
        try await Self.withInstance(port: 18489, environment: ["CHAT_PUSH_ALLOW_PRIVATE_TARGETS": "false"], consuming: false) { instance, _ in
            let user = UUID()
            func add(_ url: String) async throws -> (status: Int, body: String) {
                try await instance.call(
                    .POST, "/v1/notifications/push-targets", as: user,
                    body: #"{"url":"\#(url)","secret":"\#(Self.secret)"}"#)
            }
            for url in [
                "http://127.0.0.1:8080/x", "http://localhost/x", "https://10.1.2.3/x", "http://169.254.169.254/latest",
                "http://[::1]/x", "http://192.168.0.10/x", "http://172.20.0.1/x", "http://[fe80::1]/x", "http://0.0.0.0/x",
                "http://[::ffff:127.0.0.1]/x", "http://100.64.0.1/x", "http://app.localhost/x",
            ] {
                let reply = try await add(url)
                #expect(reply.status == 400 && reply.body.contains("invalid_request"), "\(url): \(reply.status) \(reply.body)")
            }
            let accepted = try await add("HTTPS://93.184.215.14/hooks/chat")
            #expect(accepted.status == 201 && accepted.body.contains("https:") && accepted.body.contains("93.184.215.14"), "\(accepted.body)")
        }
    }

    @Test func aKilledInstanceLosesAndDoublesNothing() async throws {
        try await Self.withInstance(port: 18483) { instance, receiver in
            let sender = UUID()
            let users = (0..<8).map { _ in UUID() }
            for user in users { try await instance.addTarget(for: user, url: receiver.url("kill-\(Self.id(user))"), secret: Self.secret) }
            let conversations = (0..<16).map { _ in UUID() }
            let perConversation = 25
            // Every message goes to two of the users: 16 × 25 messages, 800 notifications and pushes.
            func recipients(_ conversation: Int) -> [UUID] { [users[conversation % 8], users[(conversation + 3) % 8]] }
            let expected = conversations.count * perConversation * 2

            let publishing = Task {
                for seq in 1...perConversation {
                    for (index, conversation) in conversations.enumerated() {
                        try await Self.publishMessage(conversation, seq: Int64(seq), from: sender, to: recipients(index), body: "s\(seq)")
                    }
                }
            }
            // Kill mid-stream: once some pushes arrived, while events are still being published.
            try await eventually("the first pushes") { receiver.all.count >= 60 }
            instance.kill()
            let pushesAtKill = receiver.all.count
            try await instance.restart()
            try await publishing.value
            try await eventually("every notification pushed (\(receiver.all.count) pushes so far)", timeout: .seconds(120)) {
                Set(receiver.all.compactMap(\.notification?.id)).count >= expected
            }
            try await eventually("the outbox drains", timeout: .seconds(60)) { try await instance.pendingPushes() == 0 }

            // Stored exactly once each.
            let rows = try await instance.postgres.query(
                """
                SELECT count(*) AS total, count(DISTINCT (user_id, conversation_id, seq)) AS distinct_messages
                FROM notifications WHERE actor_id = $1
                """, [Self.id(sender)])
            #expect(try rows[0].decode("total", as: Int.self) == expected)
            #expect(try rows[0].decode("distinct_messages", as: Int.self) == expected)
            // Pushed with one delivery id per notification (a push repeated after the crash keeps its id).
            var deliveryIds: [String: Set<String>] = [:]
            for push in receiver.all { if let id = push.notification?.id { deliveryIds[id, default: []].insert(push.deliveryId) } }
            #expect(deliveryIds.count == expected)
            #expect(deliveryIds.values.allSatisfy { $0.count == 1 })
            #expect(Set(deliveryIds.values.flatMap { $0 }).count == expected)
            #expect(receiver.all.allSatisfy { $0.signatureVerifies(secret: Self.secret) })
            // Each user got each of their messages, in no particular order.
            for (index, conversation) in conversations.enumerated() {
                for user in recipients(index) {
                    let seqs = receiver.received("kill-\(Self.id(user))")
                        .compactMap(\.notification).filter { $0.conversationId == Self.id(conversation) }.compactMap(\.seq)
                    #expect(Set(seqs) == Set((1...Int64(perConversation))))
                }
            }
            print("kill test: \(pushesAtKill) pushes before SIGKILL, \(receiver.all.count) pushes for \(expected) notifications")
        }
    }
}
