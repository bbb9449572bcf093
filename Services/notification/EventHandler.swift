import ChatEvents
import Foundation
import Kafka
import Logging
import ServiceKit
import ServiceLifecycle

/// Turns the chat events of the `notification` consumer group into notifications, a batch of records at a time, and
/// commits the records once they were handled (at least once).
///
/// Per batch (everything the consumer holds, up to ``maximumBatch`` records): ordinary messages whose recipients are
/// all online are dropped unread (their headers say who they concern), then the events' plans (``NotificationPlan``),
/// the recipients' presence with one Redis pipeline, and the rows the contract's rule keeps (``NotificationBatch``:
/// mentions and additions for everyone, ordinary messages only for recipients without a live WebSocket) stored with
/// one statement, which also queues a push per push target for each new row of an offline recipient. Then the push
/// workers are rung and `notification.created` is published for each new row of an online recipient, so chat sends
/// it as a `notification` frame. The longer a batch takes, the more the next one carries. A failure (database, Redis,
/// Kafka down) is retried with backoff until it succeeds or the service stops; the records stay uncommitted meanwhile.
/// Records that are not events are logged and skipped.
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

    /// The most records handled together.
    static let maximumBatch = 500

    func run() async throws {
        let window = CommitWindow()
        await cancelWhenGracefulShutdown {
            while true {
                let records = await consumer.records(upTo: Self.maximumBatch)
                guard !records.isEmpty else { return }
                let numbers = records.map(window.add)
                // A batch never handled (the service stops first) leaves its records uncommitted.
                guard await handleUntilDone(records) else { return }
                for number in numbers { window.handled(number, commit: commit) }
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

    /// The plans of `records`' events. Most of chat.events is not for notifications (realtime signals, this service's
    /// own notification.created): skipped by their type header, unread.
    private func plans(of records: [KafkaRecord]) -> [NotificationPlan] {
        records.compactMap { record in
            if let type = record.eventType, !NotificationPlan.eventTypes.contains(type) { return nil }
            do {
                return NotificationPlan(try ChatEvent(from: record.value))?.continuing(record)
            } catch {
                logger.error(
                    "skipping a record that is not an event",
                    metadata: [
                        "topic": "\(record.topic)", "partition": "\(record.partition)", "offset": "\(record.offset)",
                        "error": "\(error)", "trace_id": "\(record.traceId ?? "")",
                    ])
                return nil
            }
        }
    }

    /// Handles `records`, retrying failures with backoff (100 ms doubling to 5 s); false when the service stops first.
    private func handleUntilDone(_ records: [KafkaRecord]) async -> Bool {
        var delay = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                let plans = plans(of: try await withoutLiveOnlyMessages(records))
                if !plans.isEmpty { try await EventBatchTrace.handling(plans) { try await handle(plans) } }
                return true
            } catch {
                logger.warning("handling events failed; retrying", metadata: ["records": "\(records.count)", "error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
        return false
    }

    /// `records` without the ordinary messages (no mention) whose every recipient has a live WebSocket: by the
    /// contract's rule they notify nobody, and their headers (``MessageRouting``) tell so without decoding the event,
    /// with one presence pipeline for the batch. Most messages of a busy product are such.
    private func withoutLiveOnlyMessages(_ records: [KafkaRecord]) async throws -> [KafkaRecord] {
        let routings = records.map { record in
            record.eventType == MessageCreated.eventType ? MessageRouting(record).flatMap { $0.mentionedUserIds.isEmpty ? $0 : nil } : nil
        }
        let concerned = routings.compactMap { $0 }.flatMap(\.recipientIds)
        guard !concerned.isEmpty else { return records }
        let online = try await presence.online(among: concerned)
        return zip(records, routings).compactMap { record, routing in
            guard let routing, routing.recipientIds.allSatisfy(online.contains) else { return record }
            return nil
        }
    }

    private func handle(_ plans: [NotificationPlan]) async throws {
        let online = try await presence.online(among: NotificationBatch.recipients(of: plans))
        let batch = NotificationBatch(plans, online: online)
        let stored = try await notifications.store(batch)
        if batch.queuesPushes(stored) { doorbell.ring() }
        try await producer.publish(batch.frames(for: stored))
    }
}
