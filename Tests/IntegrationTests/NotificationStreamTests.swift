import ChatEvents
import Foundation
import Kafka
import Testing

/// A steady stream of events through the real `notification` executable: every one reaches the webhook receiver as
/// exactly one push. (The latency of the same path is measured by the `NotificationBenchmark` program, not here.)
@Suite(.timeLimit(.minutes(5)))
struct NotificationStreamTests {
    @Test func everyEventOfASteadyStreamBecomesOnePush() async throws {
        let events = 200
        try await NotificationServiceTests.withInstance(port: 18488) { instance, receiver in
            let sender = UUID()
            let users = (0..<20).map { _ in UUID() }
            for user in users {
                try await instance.addTarget(
                    for: user, url: receiver.url("stream-\(NotificationServiceTests.id(user))"),
                    secret: NotificationServiceTests.secret)
            }
            let conversations = (0..<50).map { _ in UUID() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<events {
                    group.addTask {
                        try await NotificationServiceTests.publishMessage(
                            conversations[index % conversations.count], seq: Int64(index + 1), from: sender,
                            to: [users[index % users.count]], body: "stream \(index)")
                    }
                }
                try await group.waitForAll()
            }
            try await eventually("every push", timeout: .seconds(120)) { receiver.all.count >= events }
            let delivered = receiver.all.compactMap { push in push.notification.flatMap { $0.seq.map { "\($0)" } } }
            #expect(delivered.count == events && Set(delivered).count == events)
        }
    }
}
