import ChatEvents
import Foundation
import NIOCore
import Testing

@testable import ChatService
@testable import Kafka

/// The hand-written `message` and `ack` frames are the bytes the frames' encoder writes, whatever the text holds.
struct MessageFramesTests {
    static let bodies = [
        "hello", "", #"quote " backslash \ slash / tab"# + "\tend", "line\nbreak\r\u{8}\u{c}\u{1}\u{1f}", "déjà vu 👋🏽 日本語", "\u{7f}\u{2028}",
    ]

    static func view(body: String, edited: Bool, attachments: Bool, reactions: Bool) -> MessageView {
        MessageView(
            id: "65f0c0ffee", conversationId: "6f1c2d3e-0000-4000-8000-000000000001", seq: 42,
            senderId: "6f1c2d3e-0000-4000-8000-000000000002", clientMessageId: "c-\(body.count)", body: body,
            attachments: attachments
                ? [
                    MessageAttachment(
                        id: "a1", conversationId: "6f1c2d3e-0000-4000-8000-000000000001", fileName: "pic \"1\".png", contentType: "image/png",
                        size: 1234, createdAt: "2026-12-06T12:00:00.000Z")
                ] : [],
            replyToSeq: edited ? 7 : nil, createdAt: "2026-12-06T12:00:00.123Z", editedAt: edited ? "2026-12-06T12:01:00.000Z" : nil,
            deleted: edited, reactions: reactions ? ["👍": ["u1", "u2"], "a": ["u3"]] : [:])
    }

    @Test(arguments: bodies)
    func framesAreTheEncodersBytes(body: String) throws {
        for (edited, attachments, reactions) in [(false, false, false), (true, true, true)] {
            let view = Self.view(body: body, edited: edited, attachments: attachments, reactions: reactions)
            #expect(ServerFrame.message(view) == (try ServerFrame.buffer(ServerFrame.Message(type: "message", message: view))))
            for ref in ["r-1", nil] {
                #expect(ServerFrame.ack(ref: ref, message: view) == (try ServerFrame.buffer(ServerFrame.Ack(ref: ref, message: view))))
            }
        }
    }

    @Test(arguments: bodies)
    func theHandWrittenEventDecodesAsTheEvent(body: String) throws {
        let view = Self.view(body: body, edited: true, attachments: true, reactions: false)
        let createdAt = Date(milliseconds: 1_796_000_000_123)
        let recipients = ["6f1c2d3e-0000-4000-8000-000000000003", "6f1c2d3e-0000-4000-8000-000000000004"]
        let eventId = UUID()
        let record = MessageCreated.record(
            eventId: eventId, occurredAt: createdAt, conversationId: view.conversationId, messageId: view.id, seq: view.seq,
            senderId: view.senderId, clientMessageId: view.clientMessageId, body: body, attachments: view.attachments,
            replyToSeq: view.replyToSeq, createdAt: createdAt, recipientIds: recipients, mentionedUserIds: [recipients[1]])
        let expected = EventEnvelope(
            MessageCreated(
                conversationId: UUID(uuidString: view.conversationId)!, messageId: view.id, seq: view.seq,
                senderId: UUID(uuidString: view.senderId)!, clientMessageId: view.clientMessageId, body: body,
                attachmentIds: ["a1"], attachments: view.attachments, replyToSeq: 7, createdAt: createdAt,
                recipientIds: recipients.map { UUID(uuidString: $0)! }, mentionedUserIds: [UUID(uuidString: recipients[1])!]),
            id: eventId, occurredAt: createdAt)
        #expect(try EventEnvelope<MessageCreated>(decoding: record.value) == expected)
        // Routed like every event of the conversation: its key, topic and type header.
        let encoded = try expected.record()
        #expect(record.topic == encoded.topic && record.key == encoded.key)
        #expect(record.headers.first!.name == encoded.headers.first!.name && record.headers.first!.value == encoded.headers.first!.value)
        // Who it concerns is in its headers, and chat's fan-out finds its audience and frame there.
        var outgoing = record
        outgoing.headers += FanoutDelivery(message: view, recipientIds: recipients, watermark: 3).headers
        let received = KafkaRecord(
            topic: outgoing.topic, partition: 0, offset: 0, key: outgoing.key, value: outgoing.value, headers: outgoing.headers,
            assignmentGeneration: 1)
        #expect(MessageRouting(received) == MessageRouting(senderId: view.senderId, recipientIds: recipients, mentionedUserIds: [recipients[1]]))
        let delivery = try #require(FanoutDelivery(received))
        #expect(delivery.audience == recipients + [view.senderId] && delivery.seq == view.seq && delivery.watermark == 3)
        #expect(delivery.frame == ServerFrame.message(view))
    }
}
