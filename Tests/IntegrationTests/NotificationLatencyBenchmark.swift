import Foundation
import Kafka
import Synchronization
import Testing

/// A steady stream of events through the real `notification` executable: every one must reach the webhook
/// receiver as a push; the latency from Kafka's acknowledgement of the event to the push's arrival is printed
/// (p50/p99), not asserted. `CHAT_NOTIFICATION_BENCHMARK_EVENTS` (default 500) and `CHAT_NOTIFICATION_BENCHMARK_RATE`
/// (events per second, default 200) size the run; the figures in the README come from 2,000 events.
@Suite(.timeLimit(.minutes(5)))
struct NotificationLatencyBenchmark {
    @Test func eventToPushLatency() async throws {
        let events = Int(ProcessInfo.processInfo.environment["CHAT_NOTIFICATION_BENCHMARK_EVENTS"] ?? "") ?? 500
        let rate = Int(ProcessInfo.processInfo.environment["CHAT_NOTIFICATION_BENCHMARK_RATE"] ?? "") ?? 200
        try await NotificationServiceTests.withInstance(port: 18488) { instance, receiver in
            let sender = UUID()
            let users = (0..<20).map { _ in UUID() }
            for user in users {
                try await instance.addTarget(for: user, url: receiver.url("bench-\(NotificationServiceTests.id(user))"),
                                             secret: NotificationServiceTests.secret)
            }
            let conversations = (0..<50).map { _ in UUID() }
            let acknowledged = AcknowledgedAt()
            let interval = Duration.seconds(1) / rate
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<events {
                    try await Task.sleep(until: started + interval * index)
                    group.addTask {
                        let conversation = conversations[index % conversations.count]
                        let seq = Int64(index + 1)
                        try await NotificationServiceTests.publishMessage(
                            conversation, seq: seq, from: sender, to: [users[index % users.count]], body: "bench \(index)")
                        let now = ContinuousClock.now
                        acknowledged.times.withLock { $0["\(NotificationServiceTests.id(conversation))/\(seq)"] = now }
                    }
                }
                try await group.waitForAll()
            }
            try await eventually("every push", timeout: .seconds(300)) { receiver.all.count >= events }
            let acks = acknowledged.times.withLock { $0 }
            var latencies: [Double] = []
            for push in receiver.all {
                guard let notification = push.notification, let seq = notification.seq,
                      let ack = acks["\(notification.conversationId)/\(seq)"]
                else { continue }
                let elapsed = (push.receivedAt - ack).components
                latencies.append(Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15)
            }
            latencies.sort()
            #expect(latencies.count == events)
            func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
            print(String(
                format: "notification latency, %d events at %d/s (Kafka ack → push received): p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                events, rate, percentile(0.5), percentile(0.99), latencies.last ?? 0))
        }
    }
}

/// When Kafka acknowledged each event, by `<conversationId>/<seq>`.
private final class AcknowledgedAt: Sendable {
    let times = Mutex<[String: ContinuousClock.Instant]>([:])
}
