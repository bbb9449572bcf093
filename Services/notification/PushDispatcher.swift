import AsyncHTTPClient
import ChatEvents
import Foundation
import Kafka
import Logging
import Metrics
import NIOCore
import ServiceKit
import ServiceLifecycle
import Synchronization

/// Makes the pushes of the outbox with up to `concurrency` in flight, so a slow or dead target delays only its own
/// pushes, never the event consumer or other users' pushes.
///
/// The loop claims due pushes whenever a slot is free and the outbox was rung (a new push was stored, a push
/// finished) or the poll interval passed (retries that came due, pushes stored by other instances). Outcomes:
/// 2xx → done; 410 → the target is deleted with its pending pushes; network error, timeout, 429 or 5xx → retried
/// after ``PushSettings/backoff(after:)`` until ``PushSettings/maxAttempts``, then dead-lettered; any other status →
/// dead-lettered at once (retrying would not help), as is a target whose name now resolves to an address that is not
/// public (``WebhookClients``). Redirects are not followed.
struct PushDispatcher: Service {
    let outbox: PushOutbox
    let clients: WebhookClients
    let producer: KafkaProducer
    let settings: PushSettings
    let doorbell: Doorbell
    let logger: Logger

    /// The most pushes claimed by one query.
    static let claimBatch = 100

    /// How long the loop sleeps without a ring: the retry base delay, between 20 ms and 500 ms.
    var pollInterval: Duration { min(max(settings.retryBase, .milliseconds(20)), .milliseconds(500)) }

    func run() async throws {
        await cancelWhenGracefulShutdown { await dispatch() }
    }

    private func dispatch() async {
        let free = FreeSlots(settings.concurrency)
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let slots = free.count.withLock { $0 }
                var claimed: [PushOutbox.Pending] = []
                if slots > 0 {
                    do {
                        claimed = try await outbox.claim(limit: min(slots, Self.claimBatch), lease: settings.claimLease)
                    } catch {
                        logger.warning("claiming pushes failed", metadata: ["error": "\(error)"])
                    }
                }
                for push in claimed {
                    free.count.withLock { $0 -= 1 }
                    group.addTask {
                        await deliver(push)
                        // A loop that found no free slot waits for one.
                        let wasFull = free.count.withLock { slots in
                            slots += 1
                            return slots == 1
                        }
                        if wasFull { doorbell.ring() }
                    }
                }
                if !claimed.isEmpty && claimed.count == min(slots, Self.claimBatch) { continue }
                await doorbell.wait(atMost: pollInterval)
            }
        }
    }

    /// One attempt of `push` and what follows from its outcome. Failures to record the outcome leave the push
    /// claimed until its lease ends, after which it is made again with the same delivery id.
    private func deliver(_ push: PushOutbox.Pending) async {
        var metadata: Logger.Metadata = [
            "delivery_id": "\(push.deliveryId)", "target_id": "\(push.targetId)", "attempt": "\(push.attempt)",
        ]
        if let trace = push.traceparent.flatMap(TraceParent.init) { metadata["trace_id"] = "\(trace.traceId)" }
        let failure: String
        var retryable = true
        do {
            let status = try await PushTrace.attempt(push) { try await send(push) }
            switch status {
            case 200..<300:
                try await outbox.finish(push)
                Counter(label: "notification_pushes_total", dimensions: [("outcome", "delivered")]).increment()
                return
            case 410:
                try await outbox.removeTarget(of: push)
                Counter(label: "notification_pushes_total", dimensions: [("outcome", "target_gone")]).increment()
                logger.info("push target answered 410 and was removed", metadata: metadata)
                return
            case 429, 500...:
                failure = "HTTP \(status)"
            default:
                failure = "HTTP \(status)"
                retryable = false
            }
        } catch let refused as WebhookClients.Refused {
            failure = refused.description
            retryable = refused.retryable
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            failure = "timeout after \(settings.timeout)"
        } catch {
            failure = "\(error)"
        }
        do {
            if retryable && push.attempt < settings.maxAttempts {
                try await outbox.retry(push, after: settings.backoff(after: push.attempt), error: failure)
                Counter(label: "notification_pushes_total", dimensions: [("outcome", "retried")]).increment()
                logger.debug("push failed, will retry", metadata: metadata.merging(["error": "\(failure)"]) { $1 })
            } else {
                try await DeadLetter(push, lastError: failure, failedAt: RFC3339.string(from: Date())).publish(with: producer)
                try await outbox.finish(push)
                Counter(label: "notification_pushes_total", dimensions: [("outcome", "dead_lettered")]).increment()
                NotificationMetrics.deadLetters.increment()
                logger.warning("push dead-lettered", metadata: metadata.merging(["error": "\(failure)"]) { $1 })
            }
        } catch {
            logger.warning("recording a push outcome failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    /// POSTs the signed push; returns the status code.
    private func send(_ push: PushOutbox.Pending) async throws -> Int {
        let message = try PushMessage(push)
        var request = HTTPClientRequest(url: push.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "chat-notification/\(ProductVersion.current)")
        request.headers.add(name: PushMessage.signatureHeader.rawName, value: message.signature)
        request.headers.add(name: PushMessage.deliveryIdHeader.rawName, value: message.deliveryId)
        request.body = .bytes(ByteBuffer(data: message.body))
        let response = try await clients.route(for: push.url).client.execute(request, timeout: .milliseconds(settings.timeout.milliseconds))
        // Read (and drop) a bounded amount of the answer so the connection can be reused.
        _ = try? await response.body.collect(upTo: 64 * 1024)
        return Int(response.status.code)
    }
}

/// How many more pushes may start, shared by the dispatch loop and the pushes in flight.
private final class FreeSlots: Sendable {
    let count: Mutex<Int>
    init(_ count: Int) { self.count = Mutex(count) }
}
