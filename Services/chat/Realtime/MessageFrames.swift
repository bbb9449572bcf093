import ChatEvents
import NIOCore
import ServiceKit

/// The `message` and `ack` frames, written by hand: one of each per message and recipient set is the hot path's
/// output, and these bytes are what ``ServerFrame/buffer(_:)`` would encode (same keys, sorted, same escaping).
extension ServerFrame {
    /// `{"message":{…},"type":"message"}`
    static func message(_ message: MessageView) -> ByteBuffer {
        var json = JSONWriter(capacity: 384 + message.body.utf8.count)
        json.beginObject()
        json.key("message")
        message.write(to: &json)
        json.key("type")
        json.string("message")
        json.endObject()
        return ByteBuffer(bytes: json.bytes)
    }

    /// `{"message":{…},"ref":…,"type":"ack"}`
    static func ack(ref: String?, message: MessageView) -> ByteBuffer {
        var json = JSONWriter(capacity: 400 + message.body.utf8.count)
        json.beginObject()
        json.key("message")
        message.write(to: &json)
        json.key("ref")
        json.string(ref)
        json.key("type")
        json.string("ack")
        json.endObject()
        return ByteBuffer(bytes: json.bytes)
    }
}

extension MessageView {
    /// Writes the contract's message object, keys sorted; `editedAt` and `replyToSeq` are `null` when unset.
    func write(to json: inout JSONWriter) {
        json.beginObject()
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
        json.key("deleted")
        json.bool(deleted)
        json.key("editedAt")
        json.string(editedAt)
        json.key("id")
        json.string(id)
        json.key("reactions")
        json.beginObject()
        for (emoji, users) in reactions.sorted(by: { $0.key < $1.key }) {
            json.key(emoji)
            json.strings(users)
        }
        json.endObject()
        json.key("replyToSeq")
        json.integer(replyToSeq)
        json.key("senderId")
        json.string(senderId)
        json.key("seq")
        json.integer(seq)
        json.endObject()
    }
}
