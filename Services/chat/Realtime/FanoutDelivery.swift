import ChatEvents
import Kafka
import NIOCore
import ServiceKit

/// What chat's fan-out needs of a `message.created` record, carried in its headers so that every chat instance can
/// deliver it without decoding the event: the seq, the conversation's published watermark at the seq's allocation
/// (see ``SequenceReorderer``), the ready `message` frame, and the users to deliver to (the event's
/// ``MessageRouting``: recipients and sender).
///
/// The event itself (the record's value) stays the versioned contract for every other consumer.
struct FanoutDelivery: Sendable {
    static let seqHeader = "chat-seq"
    static let watermarkHeader = "chat-watermark"
    static let frameHeader = "chat-frame"
    /// The chat instance that published the record (``LocalFanout/origin``).
    static let originHeader = "chat-origin"

    let seq: Int64
    /// Every seq up to this one was published before this record; nil for a record written without it.
    let watermark: Int64?
    /// User ids, the sender's other connections included.
    let audience: [String]
    /// The `message` frame, one buffer shared by every local recipient.
    let frame: ByteBuffer
    /// When and in which trace the record was produced (``FanoutObservation``); nil for one rebuilt from an event.
    var origin: FanoutObservation.Origin?

    /// The `message` frame of `message` for its sender and `recipientIds`.
    init(message: MessageView, recipientIds: [String], watermark: Int64?) {
        seq = message.seq
        self.watermark = watermark
        audience = recipientIds + [message.senderId]
        frame = ServerFrame.message(message)
    }

    /// The delivery in `record`'s headers; nil for a record written without them.
    init?(_ record: KafkaRecord) {
        var frame: ByteBuffer?
        var traceparent: [UInt8]?
        for header in record.headers {
            switch header.name {
            case TraceParent.headerName: traceparent = header.value
            case Self.frameHeader: frame = ByteBuffer(bytes: header.value)
            default: continue
            }
        }
        guard let position = Position(record), let frame, let routing = MessageRouting(record) else { return nil }
        (seq, watermark, self.frame) = (position.seq, position.watermark, frame)
        audience = routing.recipientIds + [routing.senderId]
        origin = FanoutObservation.Origin(record, traceparent: traceparent)
    }

    /// Where a message sits in its conversation: its seq, and the watermark at its allocation.
    struct Position: Sendable {
        let seq: Int64
        let watermark: Int64?

        /// The position in `record`'s headers, read without the frame; nil for a record written without them.
        init?(_ record: KafkaRecord) {
            var seq: Int64?
            var watermark: Int64?
            for header in record.headers {
                switch header.name {
                case FanoutDelivery.seqHeader: seq = Int64(String(decoding: header.value, as: UTF8.self))
                case FanoutDelivery.watermarkHeader: watermark = Int64(String(decoding: header.value, as: UTF8.self))
                default: continue
                }
            }
            guard let seq else { return nil }
            (self.seq, self.watermark) = (seq, watermark)
        }
    }

    var headers: [(name: String, value: [UInt8])] {
        [(Self.seqHeader, Array(String(seq).utf8))]
            + (watermark.map { [(Self.watermarkHeader, Array(String($0).utf8))] } ?? [])
            + [(Self.frameHeader, Array(frame.readableBytesView))]
    }
}
