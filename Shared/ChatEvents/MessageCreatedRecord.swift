import Foundation
import Kafka
import ServiceKit

extension MessageCreated {
    /// The `message.created` record of a stored message, written by hand: chat's writer publishes one per message, and
    /// a general-purpose encoder (with the UUIDs parsed from their text and printed again) cost more CPU than the
    /// rest of the publication. The value decodes as ``EventEnvelope`` of ``MessageCreated`` like any other event;
    /// ids are passed in their text form (lowercase UUIDs), as chat holds them. Its headers carry the
    /// ``MessageRouting`` too, so that consumers who only need to know who is concerned do not decode the value.
    public static func record(
        eventId: UUID = .random(), occurredAt: Date = Date(), conversationId: String, messageId: String, seq: Int64, senderId: String,
        clientMessageId: String, body: String, attachments: [MessageAttachment], replyToSeq: Int64?, createdAt: Date,
        recipientIds: [String], mentionedUserIds: [String]
    ) -> KafkaOutgoingRecord {
        let createdAt = RFC3339.string(from: createdAt)
        var json = JSONWriter(capacity: 640 + body.utf8.count)
        json.beginObject()
        json.key("id")
        json.string(eventId.uuidString)
        json.key("occurredAt")
        json.string(RFC3339.string(from: occurredAt))
        json.key("payload")
        json.beginObject()
        json.key("attachmentIds")
        json.strings(attachments.lazy.map(\.id))
        json.key("attachments")
        json.beginArray()
        for attachment in attachments { attachment.write(to: &json) }
        json.endArray()
        json.key("body")
        json.string(body)
        json.key("clientMessageId")
        json.string(clientMessageId)
        json.key("conversationId")
        json.string(conversationId)
        json.key("createdAt")
        json.string(createdAt)
        json.key("mentionedUserIds")
        json.strings(mentionedUserIds)
        json.key("messageId")
        json.string(messageId)
        json.key("recipientIds")
        json.strings(recipientIds)
        if let replyToSeq {
            json.key("replyToSeq")
            json.integer(replyToSeq)
        }
        json.key("senderId")
        json.string(senderId)
        json.key("seq")
        json.integer(seq)
        json.endObject()
        json.key("type")
        json.string(eventType)
        json.key("version")
        json.integer(Int64(version))
        json.endObject()
        return KafkaOutgoingRecord(
            topic: topic.name, key: Array(conversationId.lowercased().utf8), value: json.bytes,
            headers: [(name: eventTypeHeader, value: Array(eventType.utf8))]
                + MessageRouting(senderId: senderId, recipientIds: recipientIds, mentionedUserIds: mentionedUserIds).headers)
    }
}

/// Who a `message.created` record concerns, in its headers (`message-sender`, `message-recipients`,
/// `message-mentions`: ids, comma-separated), for consumers that route or filter records without decoding them.
public struct MessageRouting: Sendable, Equatable {
    static let senderHeader = "message-sender"
    static let recipientsHeader = "message-recipients"
    static let mentionsHeader = "message-mentions"

    public let senderId: String
    /// Every member but the sender when the message was stored.
    public let recipientIds: [String]
    /// The recipients named as `@username`.
    public let mentionedUserIds: [String]

    public init(senderId: String, recipientIds: [String], mentionedUserIds: [String]) {
        self.senderId = senderId
        self.recipientIds = recipientIds
        self.mentionedUserIds = mentionedUserIds
    }

    /// The routing in `record`'s headers; nil for a record written without them.
    public init?(_ record: KafkaRecord) {
        var sender: String?
        var recipients: [String]?
        var mentions: [String]?
        // Split on the comma's byte: splitting the decoded String would break it into characters first.
        func ids(_ value: [UInt8]) -> [String] { value.split(separator: UInt8(ascii: ",")).map { String(decoding: $0, as: UTF8.self) } }
        for header in record.headers {
            switch header.name {
            case Self.senderHeader: sender = String(decoding: header.value, as: UTF8.self)
            case Self.recipientsHeader: recipients = ids(header.value)
            case Self.mentionsHeader: mentions = ids(header.value)
            default: continue
            }
        }
        guard let sender, let recipients, let mentions else { return nil }
        self.init(senderId: sender, recipientIds: recipients, mentionedUserIds: mentions)
    }

    var headers: [(name: String, value: [UInt8])] {
        [
            (Self.senderHeader, Array(senderId.utf8)), (Self.recipientsHeader, Array(recipientIds.joined(separator: ",").utf8)),
            (Self.mentionsHeader, Array(mentionedUserIds.joined(separator: ",").utf8)),
        ]
    }
}

extension MessageAttachment {
    /// Writes the attachment as a JSON object, keys sorted as the events' and frames' encoders sort them.
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("contentType")
        json.string(contentType)
        json.key("conversationId")
        json.string(conversationId)
        json.key("createdAt")
        json.string(createdAt)
        json.key("fileName")
        json.string(fileName)
        json.key("id")
        json.string(id)
        json.key("size")
        json.integer(size)
        json.endObject()
    }
}
