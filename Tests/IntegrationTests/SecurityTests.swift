import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

/// Attacks a client could make, each performed through the gateway against the real binaries of
/// ``ChatEndToEndTests``' stack and seen refused, with nothing stored or delivered (contract v1.1). The session
/// rules (socket lifetime, logout, socket and send limits) are in ``WebSocketSessionTests``; login and sign-up
/// throttling in ``AuthServiceTests``; push targets that rebind to private addresses in the notification unit tests.
extension ChatEndToEndTests {
    /// Creates an attachment of `conversationId` and, unless `upload` is false, uploads `bytes` with the signed headers.
    func attachment(
        by session: SessionBody, in conversationId: String, fileName: String = "a.png", contentType: String = "image/png",
        bytes: String = "not really a png", upload: Bool = true
    ) async throws -> (id: String, put: HTTPClientRequest) {
        let created = try object(
            try await gateway.send(
                .POST, "/v1/attachments",
                body: String(
                    decoding: try JSONSerialization.data(
                        withJSONObject: [
                            "conversationId": conversationId, "fileName": fileName, "contentType": contentType, "size": bytes.utf8.count,
                        ]),
                    as: UTF8.self), headers: bearer(session)))
        var put = HTTPClientRequest(url: try #require(created["uploadUrl"] as? String))
        put.method = .PUT
        for (name, value) in try #require(created["uploadHeaders"] as? [String: String]) where name != "Content-Length" {
            put.headers.add(name: name, value: value)
        }
        put.body = .bytes(ByteBuffer(string: bytes))
        if upload { #expect(try await HTTPClient.shared.execute(put, timeout: .seconds(10)).status.code == 200) }
        return (try #require((created["attachment"] as? [String: Any])?["id"] as? String), put)
    }

    @Test func anAccessTokenInTheQueryOpensOnlyTheWebSocket() async throws {
        let user = try await gateway.register("query")
        for path in ["/v1/users/me", "/v1/conversations", "/v1/notifications"] {
            let reply = try await gateway.send(.GET, "\(path)?access_token=\(user.accessToken)")
            #expect(reply.status == 401 && reply.errorCode == "unauthorized", "\(path)")
        }
        let socket = try await WebSocketTestClient(url: "ws://127.0.0.1:\(Self.gatewayPort)/v1/ws?access_token=\(user.accessToken)")
        _ = try await socket.next { $0["type"] as? String == "hello" }
        _ = try await socket.close()
    }

    @Test func oversizedNulAndHiddenCharacterInputsAreRefusedAndNothingIsStored() async throws {
        let user = try await gateway.register("limits")
        let id = try await createGroup(by: user, title: "Limits")
        let bodies = [
            String(repeating: "a", count: 4001),
            // 3,000 characters, but 75 KB of UTF-8 (a family emoji is one character of 25 bytes).
            String(repeating: "👨‍👩‍👧‍👦", count: 3000),
            "before\u{0}after",
        ]
        for (index, body) in bodies.enumerated() {
            let reply = try await gateway.send(
                .POST, "/v1/conversations/\(id)/messages", json: ["clientMessageId": "x\(index)", "body": body], headers: bearer(user))
            #expect(reply.status == 400 && reply.errorCode == "invalid_request", "body \(index): \(reply.status)")
        }
        let socket = try await connect(user)
        try await socket.send(json: ["type": "send", "ref": "nul", "conversationId": id, "clientMessageId": "w", "body": "a\u{0}b"])
        #expect(try await socket.next { $0["type"] as? String == "error" }["code"] as? String == "invalid_request")
        try await socket.send(json: ["type": "send", "ref": "cid", "conversationId": id, "clientMessageId": "a\u{7}b", "body": "ok"])
        #expect(try await socket.next { $0["type"] as? String == "error" }["code"] as? String == "invalid_request")
        _ = try await socket.close()
        #expect(try await messagePage("/v1/conversations/\(id)/messages", as: user).seqs.isEmpty)

        let hidden = ["bidi\u{202E}txt", "zero\u{200B}width", "bell\u{7}"]
        for text in hidden {
            let group = try await gateway.send(
                .POST, "/v1/conversations", json: CreateGroup(type: "group", title: text, memberIds: []), headers: bearer(user))
            #expect(group.status == 400, "title \(text.debugDescription)")
            #expect(try await gateway.send(.PATCH, "/v1/users/me", json: ["displayName": text], headers: bearer(user)).status == 400)
            let file = try await gateway.send(
                .POST, "/v1/attachments",
                body: String(
                    decoding: try JSONSerialization.data(
                        withJSONObject: ["conversationId": id, "fileName": text, "contentType": "text/plain", "size": 1]), as: UTF8.self),
                headers: bearer(user))
            #expect(file.status == 400, "file name \(text.debugDescription)")
        }
    }

    @Test func aReactionIsOneEmojiAndAMessageHoldsBoundedReactions() async throws {
        let a = try await gateway.register("reacta")
        let b = try await gateway.register("reactb")
        let c = try await gateway.register("reactc")
        let id = try await createGroup(by: a, title: "Reactions", members: [b, c])
        let sent = try object(
            try await gateway.send(
                .POST, "/v1/conversations/\(id)/messages", json: ["clientMessageId": "r", "body": "react to me"], headers: bearer(a)))
        let path = "/v1/conversations/\(id)/messages/\(try #require(sent["seq"] as? Int))/reactions/"
        func react(_ session: SessionBody, _ reaction: String) async throws -> Int {
            let encoded = try #require(reaction.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
            return try await gateway.send(.PUT, path + encoded, headers: bearer(session)).status
        }
        for notOneEmoji in ["abc", "👍👍", "👍a", "1"] { #expect(try await react(a, notOneEmoji) == 400, "\(notOneEmoji)") }
        let emoji = (0x1F600...0x1F640).compactMap { Unicode.Scalar($0).map { String(Character($0)) } }
        // 20 per user on one message.
        for reaction in emoji[0..<20] { #expect(try await react(a, reaction) == 204) }
        #expect(try await react(a, emoji[20]) == 400)
        // 50 distinct on one message: b adds 20 more, c 10, then the 51st is refused.
        for reaction in emoji[20..<40] { #expect(try await react(b, reaction) == 204) }
        for reaction in emoji[40..<50] { #expect(try await react(c, reaction) == 204) }
        #expect(try await react(c, emoji[50]) == 400)
        // An existing reaction may still be joined.
        #expect(try await react(c, emoji[0]) == 204)
        let stored = try object(try await gateway.send(.GET, "/v1/conversations/\(id)/messages?limit=1", headers: bearer(a)))
        let reactions = try #require(((stored["items"] as? [[String: Any]])?.first)?["reactions"] as? [String: Any])
        #expect(reactions.count == 50)
    }

    @Test func nobodyIsAddedToAGroupByOneTheyBlockedNorAnUnknownId() async throws {
        let adder = try await gateway.register("adder")
        let blocker = try await gateway.register("blocker")
        let friend = try await gateway.register("friend")
        #expect(try await gateway.send(.PUT, "/v1/users/me/blocks/\(adder.user.id)", headers: bearer(blocker)).status == 204)
        func conversationCount() async throws -> Int {
            (try object(try await gateway.send(.GET, "/v1/conversations?limit=100", headers: bearer(adder)))["items"] as? [Any])?.count ?? -1
        }
        let before = try await conversationCount()
        let blocked = try await gateway.send(
            .POST, "/v1/conversations", json: CreateGroup(type: "group", title: "G", memberIds: [friend.user.id, blocker.user.id]),
            headers: bearer(adder))
        #expect(blocked.status == 403 && blocked.errorCode == "forbidden")
        let unknown = try await gateway.send(
            .POST, "/v1/conversations", json: CreateGroup(type: "group", title: "G", memberIds: [friend.user.id, UUID().uuidString]),
            headers: bearer(adder))
        #expect(unknown.status == 404 && unknown.errorCode == "not_found")
        #expect(try await conversationCount() == before)

        let id = try await createGroup(by: adder, title: "Later", members: [friend])
        let added = try await gateway.send(
            .POST, "/v1/conversations/\(id)/members", json: ["userIds": [blocker.user.id]], headers: bearer(adder))
        #expect(added.status == 403)
        let addedUnknown = try await gateway.send(
            .POST, "/v1/conversations/\(id)/members", json: ["userIds": [UUID().uuidString]], headers: bearer(adder))
        #expect(addedUnknown.status == 404)
        let members = try object(try await gateway.send(.GET, "/v1/conversations/\(id)", headers: bearer(adder)))["members"] as? [[String: Any]]
        #expect(Set(members?.compactMap { $0["userId"] as? String } ?? []) == [adder.user.id, friend.user.id])
        // The blocker cannot be drawn into a direct conversation either, nor can a user who does not exist.
        #expect(
            try await gateway.send(.POST, "/v1/conversations", json: ["type": "direct", "memberId": blocker.user.id], headers: bearer(adder)).status
                == 403)
        #expect(
            try await gateway.send(.POST, "/v1/conversations", json: ["type": "direct", "memberId": UUID().uuidString], headers: bearer(adder)).status
                == 404)
    }

    @Test func inADirectConversationBothAreMembersAndDeleteOnlyTheirOwnMessages() async throws {
        let opener = try await gateway.register("opener")
        let other = try await gateway.register("otherm")
        let opened = try object(
            try await gateway.send(.POST, "/v1/conversations", json: ["type": "direct", "memberId": other.user.id], headers: bearer(opener)))
        let id = try #require(opened["id"] as? String)
        #expect(Set((opened["members"] as? [[String: Any]])?.compactMap { $0["role"] as? String } ?? []) == ["member"])
        let theirs = try object(
            try await gateway.send(.POST, "/v1/conversations/\(id)/messages", json: ["clientMessageId": "o", "body": "mine"], headers: bearer(other)))
        let seq = try #require(theirs["seq"] as? Int)
        let refused = try await gateway.send(.DELETE, "/v1/conversations/\(id)/messages/\(seq)", headers: bearer(opener))
        #expect(refused.status == 403)
        #expect(
            try await gateway.send(.POST, "/v1/conversations/\(id)/members", json: ["userIds": [UUID().uuidString]], headers: bearer(opener)).status
                == 403)
        #expect(try await gateway.send(.DELETE, "/v1/conversations/\(id)/messages/\(seq)", headers: bearer(other)).status == 204)
    }

    @Test func anUploadURLUploadsOnceAndOnlyItsUploaderAttachesIt() async throws {
        let uploader = try await gateway.register("uploader")
        let member = try await gateway.register("member")
        let id = try await createGroup(by: uploader, title: "Uploads", members: [member])
        let (attachmentId, put) = try await attachment(by: uploader, in: id, fileName: "notes.txt", contentType: "text/plain")
        // The URL cannot replace what was uploaded.
        #expect(try await HTTPClient.shared.execute(put, timeout: .seconds(10)).status.code == 412)
        // Another member cannot send it as theirs.
        let borrowed = try await gateway.send(
            .POST, "/v1/conversations/\(id)/messages", json: MessageWithAttachments(clientMessageId: "b", body: "", attachmentIds: [attachmentId]),
            headers: bearer(member))
        #expect(borrowed.status == 400)
        // A file stored with another type than announced cannot be attached (S3 also refuses the signature; the local
        // S3 stand-in does not check signatures, chat's check of the stored type holds either way).
        let (mislabelledId, announced) = try await attachment(by: uploader, in: id, fileName: "x.png", contentType: "image/png", upload: false)
        var mislabelled = announced
        mislabelled.headers.replaceOrAdd(name: "Content-Type", value: "text/html")
        _ = try await HTTPClient.shared.execute(mislabelled, timeout: .seconds(10))
        #expect(
            try await gateway.send(
                .POST, "/v1/conversations/\(id)/messages",
                json: MessageWithAttachments(clientMessageId: "m", body: "", attachmentIds: [mislabelledId]), headers: bearer(uploader)
            ).status == 400)
        #expect(
            try await gateway.send(
                .POST, "/v1/conversations/\(id)/messages",
                json: MessageWithAttachments(clientMessageId: "u", body: "", attachmentIds: [attachmentId]),
                headers: bearer(uploader)
            ).status == 201)
    }

    @Test func anAvatarMustBeAnImageItsUserUploaded() async throws {
        let owner = try await gateway.register("avatar")
        let other = try await gateway.register("avatarx")
        let id = try await createGroup(by: owner, title: "Avatars", members: [other])
        let (image, _) = try await attachment(by: owner, in: id)
        let (text, _) = try await attachment(by: owner, in: id, fileName: "a.txt", contentType: "text/plain")
        let (pending, _) = try await attachment(by: owner, in: id, upload: false)
        for (session, attachmentId) in [(other, image), (owner, text), (owner, pending), (owner, UUID().uuidString.lowercased())] {
            let reply = try await gateway.send(.PATCH, "/v1/users/me", json: ["avatarAttachmentId": attachmentId], headers: bearer(session))
            #expect(reply.status == 400 && reply.errorCode == "invalid_request", "\(reply.body)")
        }
        #expect(try await gateway.send(.PATCH, "/v1/users/me", json: ["avatarAttachmentId": image], headers: bearer(owner)).status == 200)
    }

    @Test func metricsAndReadinessDetailsAreNotOnThePublicListener() async throws {
        #expect(try await gateway.send(.GET, "/metrics").status == 404)
        let ready = try await gateway.send(.GET, "/ready")
        #expect(ready.status == 200 && ready.body == #"{"status":"ready"}"#)
    }

    struct MessageWithAttachments: Encodable {
        let clientMessageId: String
        let body: String
        let attachmentIds: [String]
    }
}
