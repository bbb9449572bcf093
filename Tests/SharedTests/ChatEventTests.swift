import ChatEvents
import Foundation
import Kafka
import Testing

/// The event payloads' wire format: envelope fields, JSON shape and version handling.
@Suite struct ChatEventTests {
    @Test func everyEventRoundTripsThroughItsEnvelope() throws {
        let conversation = UUID()
        let user = UUID()
        let other = UUID()
        let at = Date(timeIntervalSince1970: 1_700_000_000.25)
        let events: [ChatEvent] = [
            .messageCreated(
                EventEnvelope(
                    MessageCreated(
                        conversationId: conversation, messageId: "65f0c0ffee0000000000abcd", seq: 7, senderId: user,
                        clientMessageId: "c-1", body: "hi @other", attachmentIds: ["a-1"], replyToSeq: 3, createdAt: at,
                        recipientIds: [other], mentionedUserIds: [other]), occurredAt: at)),
            .conversationCreated(
                EventEnvelope(
                    ConversationCreated(conversationId: conversation, createdBy: user, title: nil, memberIds: [user, other]), occurredAt: at)),
            .conversationRenamed(EventEnvelope(ConversationRenamed(conversationId: conversation, renamedBy: user, title: "Team"), occurredAt: at)),
            .memberAdded(EventEnvelope(MemberAdded(conversationId: conversation, userId: other, addedBy: user), occurredAt: at)),
            .memberRemoved(EventEnvelope(MemberRemoved(conversationId: conversation, userId: other, removedBy: other), occurredAt: at)),
            .notificationCreated(
                EventEnvelope(
                    NotificationCreated(
                        conversationId: conversation, userId: other, notificationId: "n-1", kind: "mention", seq: 7, actorId: user,
                        preview: "hi @other", createdAt: at), occurredAt: at)),
            .sessionRevoked(EventEnvelope(SessionRevoked(userId: user, familyId: "f-1", reason: .reuse), occurredAt: at)),
        ]
        for event in events {
            let value: [UInt8] =
                switch event {
                case .messageCreated(let envelope): try envelope.encoded()
                case .conversationCreated(let envelope): try envelope.encoded()
                case .conversationRenamed(let envelope): try envelope.encoded()
                case .memberAdded(let envelope): try envelope.encoded()
                case .memberRemoved(let envelope): try envelope.encoded()
                case .notificationCreated(let envelope): try envelope.encoded()
                case .sessionRevoked(let envelope): try envelope.encoded()
                case .unsupported: []
                }
            #expect(try ChatEvent(from: value) == event)
        }
    }

    @Test func theEnvelopeIsPlainVersionedJSON() throws {
        let id = UUID(uuidString: "6F9619FF-8B86-D011-B42D-00C04FC964FF")!
        let conversation = UUID(uuidString: "00000000-0000-0000-0000-000000000001")!
        let envelope = EventEnvelope(
            ConversationRenamed(conversationId: conversation, renamedBy: conversation, title: "T"), id: id,
            occurredAt: Date(timeIntervalSince1970: 1_700_000_000.123))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(envelope.encoded())) as? [String: Any])
        #expect(json["type"] as? String == "conversation.renamed")
        #expect(json["version"] as? Int == 1)
        #expect(json["id"] as? String == id.uuidString)
        #expect(json["occurredAt"] as? String == "2023-11-14T22:13:20.123Z")
        #expect((json["payload"] as? [String: Any])?["title"] as? String == "T")
    }

    @Test func unknownTypesAndNewerVersionsAreSkippedNotMisread() throws {
        let newer =
            #"{"type":"member.added","version":2,"id":"6F9619FF-8B86-D011-B42D-00C04FC964FF","occurredAt":"2024-01-01T00:00:00.000Z","payload":{}}"#
        #expect(try ChatEvent(from: Array(newer.utf8)) == .unsupported(type: "member.added", version: 2))
        let unknown =
            #"{"type":"reaction.added","version":1,"id":"6F9619FF-8B86-D011-B42D-00C04FC964FF","occurredAt":"2024-01-01T00:00:00.000Z","payload":{}}"#
        #expect(try ChatEvent(from: Array(unknown.utf8)) == .unsupported(type: "reaction.added", version: 1))
        #expect(throws: DecodingError.self) { try ChatEvent(from: Array("not json".utf8)) }
    }
}
