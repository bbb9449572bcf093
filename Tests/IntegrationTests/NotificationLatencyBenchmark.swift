import Foundation
import Kafka
import Synchronization
import Testing

/// Latency from an event's acknowledgement by Kafka to its push arriving at the webhook receiver, through the real
/// `notification` executable. A measurement, not an assertion: it prints p50/p99 and runs only when
/// `CHAT_NOTIFICATION_BENCHMARK=1` (events per second in `CHAT_NOTIFICATION_BENCHMARK_RATE`, default 200).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["CHAT_NOTIFICATION_BENCHMARK"] == "1"))
struct NotificationLatencyBenchmark {
    @Test func eventToPushLatency() async throws {
        let events = 2_000
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
