import ChatEvents
import Foundation
import Kafka

/// A push that failed for good, as written to `notification.dead-letter` (keyed by user id), so that operators can
/// see and replay it:
///
/// `{"attempts", "deliveryId", "failedAt", "lastError", "notification": {…as in the push body}, "targetId", "url", "userId"}`
///
/// `lastError` is `HTTP <status>` or the network error. Written at least once: a crash between the write and the
/// outbox clean-up writes it again with the same `deliveryId`.
struct DeadLetter: Encodable, Sendable {
    let attempts: Int
    let deliveryId: String
    let failedAt: String
    let lastError: String
    let notification: NotificationItem
    let targetId: String
    let url: String
    let userId: String

    init(_ push: PushOutbox.Pending, lastError: String, failedAt: String) {
        attempts = push.attempt
        deliveryId = push.deliveryId
        self.failedAt = failedAt
        self.lastError = lastError
        notification = push.notification
        targetId = push.targetId
        url = push.url
        userId = push.userId
    }

    /// Writes it to the dead-letter topic and waits for the brokers' acknowledgement.
    func publish(with producer: KafkaProducer) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try await producer.send(
            topic: KafkaTopic.notificationDeadLetter.name, key: Array(userId.utf8), value: Array(try encoder.encode(self)))
    }
}
