import Foundation
import Synchronization

/// Counts and latencies of one load run; every delivery is accounted by (conversationId, seq, receiver).
final class Stats: Sendable {
    private struct State {
        var sentAt: [String: UInt64] = [:]
        var ackLatencies: [Double] = []
        var acked: Set<String> = []  // "conversation:seq"
        var deliveryLatencies: [Double] = []
        var deliveries: [String: Int] = [:]  // "conversation:seq:receiver" → times received
    }

    private let state = Mutex(State())

    func sent(_ id: String, at time: UInt64) { state.withLock { $0.sentAt[id] = time } }

    func acked(_ id: String, conversationId: String, seq: Int64, at time: UInt64) {
        state.withLock { state in
            guard let sent = state.sentAt[id] else { return }
            state.ackLatencies.append(Double(time - sent) / 1e6)
            state.acked.insert("\(conversationId):\(seq)")
        }
    }

    func delivered(conversationId: String, seq: Int64, to receiver: Int, sentAt: UInt64, at time: UInt64) {
        state.withLock { state in
            let key = "\(conversationId):\(seq):\(receiver)"
            state.deliveries[key, default: 0] += 1
            if state.deliveries[key] == 1 { state.deliveryLatencies.append(Double(time &- sentAt) / 1e6) }
        }
    }

    /// The run's figures as text and JSON.
    func report(groupSize: Int, users: Int, rate: Int, duration: Int) -> (text: String, json: Data) {
        let state = state.withLock { $0 }
        let expected = state.acked.count * (groupSize - 1)
        let uniqueDelivered = state.deliveries.keys.filter { key in
            state.acked.contains(String(key[..<key.lastIndex(of: ":")!]))
        }.count
        let duplicates = state.deliveries.values.reduce(0) { $0 + max(0, $1 - 1) }
        func percentiles(_ values: [Double]) -> [String: Double] {
            let sorted = values.sorted()
            func at(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
            return ["p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": sorted.last ?? 0]
        }
        let ack = percentiles(state.ackLatencies), delivery = percentiles(state.deliveryLatencies)
        let summary: [String: Any] = [
            "users": users, "groupSize": groupSize, "targetRate": rate, "durationSeconds": duration,
            "sent": state.sentAt.count, "acked": state.acked.count, "expectedDeliveries": expected,
            "delivered": uniqueDelivered, "lost": max(0, expected - uniqueDelivered), "duplicated": duplicates,
            "achievedRate": Double(state.acked.count) / Double(duration),
            "ackLatencyMs": ack, "deliveryLatencyMs": delivery,
        ]
        let text = """
            sent \(state.sentAt.count), acked \(state.acked.count) (\(String(format: "%.0f", Double(state.acked.count) / Double(duration)))/s), \
            delivered \(uniqueDelivered) of \(expected), lost \(max(0, expected - uniqueDelivered)), duplicated \(duplicates)
            ack latency ms      p50 \(f(ack["p50"]!))  p95 \(f(ack["p95"]!))  p99 \(f(ack["p99"]!))  max \(f(ack["max"]!))
            delivery latency ms p50 \(f(delivery["p50"]!))  p95 \(f(delivery["p95"]!))  p99 \(f(delivery["p99"]!))  max \(f(delivery["max"]!))
            """
        let json = (try? JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return (text, json)
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
