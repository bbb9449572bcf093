import Foundation
import Testing

/// What the contract says of chat's REST objects and lists, checked through the gateway against the real binaries
/// of ``ChatEndToEndTests``' stack: cursors that carry their direction, message lifecycles on the local DocumentDB
/// stand-in, keys that are present when null.
extension ChatEndToEndTests {
    /// The JSON object of a reply.
    func object(_ reply: IdentityHTTP.Reply) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any], "\(reply.status) \(reply.body)")
    }

    /// The seqs of a page of messages and its cursor.
    func messagePage(_ path: String, as session: SessionBody) async throws -> (seqs: [Int], cursor: String?) {
        let reply = try await gateway.send(.GET, path, headers: bearer(session))
        try #require(reply.status == 200, "\(path): \(reply.status) \(reply.body)")
        let page = try object(reply)
        return ((page["items"] as? [[String: Any]] ?? []).compactMap { $0["seq"] as? Int }, page["nextCursor"] as? String)
    }

    @Test func messageCursorsCarryTheirDirectionWhateverElseTheQuerySays() async throws {
        let owner = try await gateway.register("page")
        let id = try await createGroup(by: owner, title: "Paging")
        for index in 1...5 {
            let sent = try await gateway.send(
                .POST, "/v1/conversations/\(id)/messages", json: ["clientMessageId": "p\(index)", "body": "m\(index)"], headers: bearer(owner))
            try #require(sent.status == 201)
        }
        let base = "/v1/conversations/\(id)/messages"
        // Oldest first from after=0: the cursor alone, or beside the first query, continues forward.
        let first = try await messagePage("\(base)?after=0&limit=2", as: owner)
        #expect(first.seqs == [1, 2])
        let forward = try #require(first.cursor)
        #expect(try await messagePage("\(base)?cursor=\(forward)&limit=2", as: owner).seqs == [3, 4])
        #expect(try await messagePage("\(base)?after=0&limit=2&cursor=\(forward)", as: owner).seqs == [3, 4])
        #expect(try await messagePage("\(base)?before=3&limit=2&cursor=\(forward)", as: owner).seqs == [3, 4])
        // Following the cursors to the end visits every message once, and the last page says so.
        var seen = first.seqs
        var cursor: String? = forward
        while let next = cursor {
            let page = try await messagePage("\(base)?cursor=\(next)&limit=2", as: owner)
            seen += page.seqs
            cursor = page.cursor
        }
        #expect(seen == [1, 2, 3, 4, 5])
        // Newest first (no start, or before=): the cursor continues backwards.
        let newest = try await messagePage("\(base)?limit=2", as: owner)
        #expect(newest.seqs == [5, 4])
        let backward = try #require(newest.cursor)
        #expect(try await messagePage("\(base)?cursor=\(backward)&limit=2", as: owner).seqs == [3, 2])
        #expect(try await messagePage("\(base)?after=0&limit=2&cursor=\(backward)", as: owner).seqs == [3, 2])
        let last = try await messagePage("\(base)?before=2&limit=2", as: owner)
        #expect(last.seqs == [1] && last.cursor == nil)
        for bad in ["cursor=%%%", "cursor=bm9wZQ", "after=1&before=3", "after=-1", "limit=0"] {
            #expect(try await gateway.send(.GET, "\(base)?\(bad)", headers: bearer(owner)).status == 400, "\(bad)")
        }
    }

    @Test func concurrentSendsLeaveTheLatestAsLastMessageAndTheSenderWithNothingUnread() async throws {
        let owner = try await gateway.register("burst")
        let id = try await createGroup(by: owner, title: "Burst")
        // Thirty sends at once: the writer stores them in several batches whose bookkeeping is merged.
        try await withThrowingTaskGroup(of: Int.self) { sends in
            for index in 1...30 {
                sends.addTask {
                    try await gateway.send(
                        .POST, "/v1/conversations/\(id)/messages", json: ["clientMessageId": "b\(index)", "body": "m\(index)"],
                        headers: bearer(owner)
                    ).status
                }
            }
            for try await status in sends { #expect(status == 201) }
        }
        // The last message is recorded after the answers: wait for it (at most 5 s), then check the whole view.
        let deadline = ContinuousClock.now + .seconds(5)
        var conversation: [String: Any] = [:]
        repeat {
            conversation = try object(try await gateway.send(.GET, "/v1/conversations/\(id)", headers: bearer(owner)))
            if conversation["lastSeq"] as? Int == 30 { break }
            try await Task.sleep(for: .milliseconds(50))
        } while ContinuousClock.now < deadline
        #expect(conversation["lastSeq"] as? Int == 30)
        #expect((conversation["lastMessage"] as? [String: Any])?["seq"] as? Int == 30)
        #expect(conversation["unreadCount"] as? Int == 0, "own messages count as read")
    }

    @Test func conversationCursorsPageEveryConversationOnce() async throws {
        let owner = try await gateway.register("convs")
        var created: [String] = []
        for index in 1...5 { created.append(try await createGroup(by: owner, title: "C\(index)")) }
        func page(_ query: String) async throws -> (ids: [String], cursor: String?) {
            let listed = try object(try await gateway.send(.GET, "/v1/conversations?\(query)", headers: bearer(owner)))
            return ((listed["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }, listed["nextCursor"] as? String)
        }
        let first = try await page("limit=2")
        #expect(first.ids == Array(created.reversed().prefix(2)))
        var seen = first.ids
        var cursor = first.cursor
        while let next = cursor {
            let following = try await page("cursor=\(next)&limit=2")
            #expect(try await page("limit=2&cursor=\(next)").ids == following.ids)
            seen += following.ids
            cursor = following.cursor
        }
        #expect(seen == created.reversed())
        #expect(try await gateway.send(.GET, "/v1/conversations?cursor=bm9wZQ", headers: bearer(owner)).status == 400)
    }

    @Test func everySequenceOfEditDeleteReactUnreactAndReadOnOneMessageWorks() async throws {
        let alice = try await gateway.register("life")
        let bob = try await gateway.register("lifb")
        let id = try await createGroup(by: alice, title: "Lifecycle", members: [bob])
        let actions: [(name: String, run: (Int) async throws -> Int)] = [
            (
                "edit",
                { seq in
                    try await gateway.send(.PATCH, "/v1/conversations/\(id)/messages/\(seq)", json: ["body": "edited \(seq)"], headers: bearer(alice))
                        .status
                }
            ),
            (
                "react",
                { seq in try await gateway.send(.PUT, "/v1/conversations/\(id)/messages/\(seq)/reactions/%F0%9F%91%8D", headers: bearer(bob)).status }
            ),
            (
                "unreact",
                { seq in
                    try await gateway.send(.DELETE, "/v1/conversations/\(id)/messages/\(seq)/reactions/%F0%9F%91%8D", headers: bearer(bob)).status
                }
            ),
            ("read", { seq in try await gateway.send(.POST, "/v1/conversations/\(id)/read", json: ["seq": seq], headers: bearer(bob)).status }),
            ("delete", { seq in try await gateway.send(.DELETE, "/v1/conversations/\(id)/messages/\(seq)", headers: bearer(alice)).status }),
        ]
        var clientId = 0
        for first in actions {
            for second in actions {
                for third in actions {
                    clientId += 1
                    let sent = try object(
                        try await gateway.send(
                            .POST, "/v1/conversations/\(id)/messages", json: ["clientMessageId": "l\(clientId)", "body": "original"],
                            headers: bearer(alice)))
                    let seq = try #require(sent["seq"] as? Int)
                    var deleted = false
                    for action in [first, second, third] {
                        let status = try await action.run(seq)
                        // After a delete, edits and reactions are a conflict; everything else succeeds, never a 500.
                        let expected = deleted && ["edit", "react", "unreact"].contains(action.name) ? 409 : (action.name == "edit" ? 200 : 204)
                        #expect(status == expected, "\(first.name), \(second.name), \(third.name): \(action.name) → \(status)")
                        if action.name == "delete" { deleted = true }
                    }
                    let stored = try await messagePage("/v1/conversations/\(id)/messages?after=\(seq - 1)&limit=1", as: bob)
                    #expect(stored.seqs == [seq])
                }
            }
        }
    }

    @Test func messageAndConversationObjectsCarryEveryKeyEvenWhenNull() async throws {
        let alice = try await gateway.register("keys")
        let bob = try await gateway.register("keyb")
        let opened = try object(
            try await gateway.send(.POST, "/v1/conversations", json: ["type": "direct", "memberId": bob.user.id], headers: bearer(alice)))
        #expect(opened["title"] is NSNull && opened["lastMessage"] is NSNull)
        let id = try #require(opened["id"] as? String)
        let sent = try await gateway.send(
            .POST, "/v1/conversations/\(id)/messages", json: ["clientMessageId": "k1", "body": "keys"], headers: bearer(alice))
        let message = try object(sent)
        for key in [
            "id", "conversationId", "seq", "senderId", "clientMessageId", "body", "attachments", "replyToSeq", "createdAt", "editedAt", "deleted",
            "reactions",
        ] {
            #expect(message.keys.contains(key), "message lacks \(key): \(sent.body)")
        }
        #expect(message["replyToSeq"] is NSNull && message["editedAt"] is NSNull)
        let listed = try object(try await gateway.send(.GET, "/v1/conversations/\(id)/messages", headers: bearer(bob)))
        let first = try #require((listed["items"] as? [[String: Any]])?.first)
        #expect(first["replyToSeq"] is NSNull && first["editedAt"] is NSNull)
        let socket = try await connect(alice)
        try await socket.send(json: ["type": "ping"])
        #expect(try await socket.next { $0["type"] as? String == "pong" }["ref"] is NSNull)
        try await socket.send(json: ["type": "nonsense"])
        #expect(try await socket.next { $0["type"] as? String == "error" }["ref"] is NSNull)
        _ = try await socket.close()
    }
}
