import ChatEvents
import Foundation
import Kafka
import Logging
import NIOCore
import ServiceKit
import ServiceLifecycle
import Synchronization

/// Delivers what happens in conversations to the WebSockets this instance holds, and closes the sockets of ended
/// sign-ins.
///
/// Each chat instance reads `chat.messages`, `chat.events` and `identity.events` in a consumer group of its own (every instance sees
/// every record, from the newest on) and sends each record's frame to its local connections of the record's
/// recipients. A client that was away catches up with `sync`; the group's positions are committed only so that a
/// rebalance resumes where the instance was. Kafka keeps one
/// conversation's records in the order they were published on one partition; a ``SequenceReorderer`` puts back in
/// seq order what two instances published at the same time.
final class FanoutConsumer: Service, Sendable {
    let consumer: KafkaConsumer
    let registry: ConnectionRegistry
    let logger: Logger

    private let reorderer = Mutex(SequenceReorderer<FanoutDelivery>())
    /// How often held messages are checked for the end of their wait.
    private static let releaseInterval = Duration.milliseconds(25)

    init(consumer: KafkaConsumer, registry: ConnectionRegistry, logger: Logger) {
        self.consumer = consumer
        self.registry = registry
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
                            self.reorderer.withLock { self.send($0.release(now: .now)) }
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

    /// Queues `deliveries` for their local recipients. Called with the reorderer locked, so that what the release
    /// timer and the consumer let through reaches the outboxes in the order the reorderer let it through.
    private func send(_ deliveries: [FanoutDelivery]) {
        for delivery in deliveries {
            registry.deliver(delivery.frame, to: delivery.audience)
            FanoutObservation.delivered(delivery)
        }
    }

    /// Passes a message through the reorderer. The order is kept for every conversation, also without local
    /// members, so that a member who connects finds it current.
    private func deliverInOrder(_ delivery: FanoutDelivery, conversationId: String) {
        reorderer.withLock {
            send($0.accept(delivery, conversation: conversationId, seq: delivery.seq, watermark: delivery.watermark, now: .now))
        }
    }

    private func deliver(_ record: KafkaRecord) {
        do {
            let type = try record.eventType ?? JSONDecoder().decode(TypeHeader.self, from: Data(record.value)).type
            if type == MessageCreated.eventType, let delivery = FanoutDelivery(record), let key = record.key {
                return deliverInOrder(delivery, conversationId: String(decoding: key, as: UTF8.self))
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
                deliverInOrder(
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
