import ChatEvents
import Foundation
import Kafka
import Logging
import NIOCore
import ServiceKit
import ServiceLifecycle

/// Delivers what happens in conversations to the WebSockets this instance holds, and closes the sockets of ended
/// sign-ins.
///
/// Each chat instance reads `chat.messages`, `chat.events` and `identity.events` in a consumer group of its own (every instance sees
/// every record, from the newest on) and sends each record's frame to its local connections of the record's
/// recipients. Its own messages it does not deliver: its writer delivered them already (``LocalFanout``). A client that was away
/// catches up with `sync`; the group's positions are committed only so that a rebalance resumes where the instance
/// was. Kafka keeps one conversation's records in the order they were published on one partition; the
/// ``LocalFanout``'s ``SequenceReorderer`` puts back in seq order what two instances published at the same time.
final class FanoutConsumer: Service, Sendable {
    let consumer: KafkaConsumer
    let fanout: LocalFanout
    let logger: Logger

    private var registry: ConnectionRegistry { fanout.registry }
    /// How often held messages are checked for the end of their wait.
    private static let releaseInterval = Duration.milliseconds(25)

    init(consumer: KafkaConsumer, fanout: LocalFanout, logger: Logger) {
        self.consumer = consumer
        self.fanout = fanout
        self.logger = logger
    }

    private struct TypeHeader: Decodable { let type: String }

    /// Delivers records until graceful shutdown (the consumer itself is a service of its own, added before this one
    /// and so stopped after it).
    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        while true {
                            try await Task.sleep(for: Self.releaseInterval)
                            self.fanout.releaseHeld()
                        }
                    }
                    for await record in self.consumer { self.deliver(record) }
                    group.cancelAll()
                }
            }
        } catch is CancellationError {
            // Graceful shutdown.
        }
    }

    private func deliver(_ record: KafkaRecord) {
        if let origin = record.headers.first(where: { $0.name == FanoutDelivery.originHeader }),
            fanout.isOwn(originHeaderValue: origin.value)
        {
            // This instance's writer delivered it; what waits behind it for older records need wait no longer.
            if let position = FanoutDelivery.Position(record), let key = record.key {
                fanout.ownRecordConsumed(position, conversationId: String(decoding: key, as: UTF8.self))
            }
            return
        }
        do {
            let type = try record.eventType ?? JSONDecoder().decode(TypeHeader.self, from: Data(record.value)).type
            if type == MessageCreated.eventType, let delivery = FanoutDelivery(record), let key = record.key {
                return fanout.deliver(delivery, conversationId: String(decoding: key, as: UTF8.self))
            }
            if type == RealtimeSignal.eventType {
                let signal = try EventEnvelope<RealtimeSignal>(decoding: record.value)
                registry.deliver(
                    ByteBuffer(string: signal.payload.frame), to: signal.payload.audience, droppable: signal.payload.droppable)
                return
            }
            switch try ChatEvent(from: record.value) {
            case .messageCreated(let event):
                // Written without the fan-out headers (by another producer): rebuilt from the event.
                let message = event.payload
                let conversationId = message.conversationId.uuidString.lowercased()
                let view = MessageView(
                    id: message.messageId, conversationId: conversationId, seq: message.seq,
                    senderId: message.senderId.uuidString.lowercased(), clientMessageId: message.clientMessageId,
                    body: message.body, attachments: message.attachments ?? [],
                    replyToSeq: message.replyToSeq, createdAt: RFC3339.string(from: message.createdAt), editedAt: nil,
                    deleted: false, reactions: [:])
                fanout.deliver(
                    FanoutDelivery(message: view, recipientIds: message.recipientIds.map { $0.uuidString.lowercased() }, watermark: nil),
                    conversationId: conversationId)
            case .notificationCreated(let event):
                registry.deliver(
                    try ServerFrame.buffer(ServerFrame.Notification(notification: event.payload.notification)),
                    to: [event.payload.userId.uuidString.lowercased()])
            case .sessionRevoked(let event):
                let revoked = event.payload
                for session in registry.sessions(of: revoked.userId.uuidString.lowercased())
                where session.identity.familyId == revoked.familyId {
                    session.close(code: 4001, reason: "session revoked")
                }
            default:
                return  // conversation changes reach clients as signals; other events are not for clients
            }
        } catch {
            logger.warning(
                "undeliverable record",
                metadata: [
                    "topic": "\(record.topic)", "offset": "\(record.offset)", "error": "\(error)", "trace_id": "\(record.traceId ?? "")",
                ])
        }
    }
}
