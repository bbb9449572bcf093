import ChatEvents
import Foundation
import Kafka
import Logging
import ServiceKit
import ServiceLifecycle

/// Turns the chat events of the `notification` consumer group into notifications, up to ``concurrency`` records at
/// a time, and commits a record only once it and every record received before it were handled (at least once).
///
/// Per event (see ``NotificationPlan``): the recipients' presence is read from Redis; one statement stores the
/// notifications of those who did not mute the conversation, skipping any already stored (a redelivered event), and
/// queues a push per push target for each new notification of an offline user. Then the push workers are rung and
/// `notification.created` is published for each new notification of an online user, so chat sends it as a
/// `notification` frame. A failure (database, Redis, Kafka down) is retried with backoff until it succeeds or the
/// service stops; the record stays uncommitted meanwhile. Records that are not events are logged and skipped.
///
/// The frame is at most once: after a crash between the store and the publish, the redelivered event finds the
/// notification stored and publishes nothing (the notification is still listed and counted).
struct EventHandler: Service {
    let consumer: KafkaConsumer
    let notifications: NotificationStore
    let presence: PresenceStore
    let producer: KafkaProducer
    let doorbell: Doorbell
    let logger: Logger

    /// Records handled at the same time (their statements and presence reads overlap).
    static let concurrency = 16

    func run() async throws {
        let window = CommitWindow()
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                var running = 0
                for await record in consumer {
                    if running == Self.concurrency {
                        await group.next()
                        running -= 1
                    }
                    let number = window.add(record)
                    group.addTask {
                        // A record never handled (the service stops first) keeps every later one uncommitted.
                        guard await handleUntilDone(record) else { return }
                        window.handled(number, commit: commit)
                    }
                    running += 1
                }
            }
        }
    }

    private func commit(_ record: KafkaRecord) {
        do {
            try consumer.commit(record)
        } catch let error as KafkaError where error.isPartitionRevoked {
            logger.debug("not committing a record of a revoked partition", metadata: ["error": "\(error)"])
        } catch {
            logger.warning("commit failed", metadata: ["error": "\(error)"])
        }
    }

    /// Handles `record`, retrying failures with backoff (100 ms doubling to 5 s); false when the service stops first.
    private func handleUntilDone(_ record: KafkaRecord) async -> Bool {
        // Most of chat.events is not for notifications (with everyone online, this service's own
        // notification.created records outnumber the messages nine to one): skipped by their header, unread.
        if let type = record.eventType, !NotificationPlan.eventTypes.contains(type) { return true }
        let event: ChatEvent
        do {
            event = try ChatEvent(from: record.value)
        } catch {
            logger.error("skipping a record that is not an event", metadata: [
                "topic": "\(record.topic)", "partition": "\(record.partition)", "offset": "\(record.offset)", "error": "\(error)",
            ])
            return true
        }
        guard let plan = NotificationPlan(event) else { return true }
        var delay = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                try await handle(plan)
                return true
            } catch {
                logger.warning("handling an event failed; retrying", metadata: [
                    "topic": "\(record.topic)", "partition": "\(record.partition)", "offset": "\(record.offset)",
                    "error": "\(error)",
                ])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
        return false
    }

    private func handle(_ plan: NotificationPlan) async throws {
        let online = try await onlineUsers(plan.recipients.map(\.userId))
        let stored = try await notifications.store(plan, online: online)
        if stored.contains(where: { !online.contains($0.userId) }) { doorbell.ring() }
        let frames = stored.compactMap { notification -> EventEnvelope<NotificationCreated>? in
            guard online.contains(notification.userId), let userId = UUID(uuidString: notification.userId),
                  let conversationId = UUID(uuidString: plan.conversationId), let actorId = UUID(uuidString: plan.actorId)
            else { return nil }
            return EventEnvelope(NotificationCreated(
                conversationId: conversationId, userId: userId, notificationId: notification.id, kind: notification.kind.rawValue,
                seq: notification.kind == .addedToConversation ? nil : plan.seq, actorId: actorId, preview: plan.preview,
                createdAt: plan.createdAt))
        }
        try await producer.publish(frames)
    }

    /// Which of `userIds` have a live WebSocket, asked concurrently.
    private func onlineUsers(_ userIds: [String]) async throws -> Set<String> {
        try await withThrowingTaskGroup(of: (String, Bool).self) { group in
            for userId in userIds {
                group.addTask { (userId, try await presence.presence(of: userId).status == .online) }
            }
            var online: Set<String> = []
            for try await (userId, isOnline) in group where isOnline { online.insert(userId) }
            return online
        }
    }
}
