import Foundation
import Synchronization

/// Counts and latencies of one load step; every delivery is accounted by (conversationId, seq, receiver).
final class Stats: Sendable {
    private struct State {
        var sentAt: [String: UInt64] = [:]
        var ackLatencies: [Double] = []
        var acked: Set<String> = []  // "conversation:seq"
        var deliveryLatencies: [Double] = []
        var deliveries: [String: Int] = [:]  // "conversation:seq:receiver" → times received
        var closedEarly: [String] = []  // how connections that ended during the run ended
        var finished = false
        /// When the step started: deliveries of messages sent before (late ones of the previous step) do not count.
        var started: UInt64 = 0
    }

    private let state = Mutex(State())

    func sent(_ id: String, at time: UInt64) { state.withLock { $0.sentAt[id] = time } }

    /// Starts a step: everything counted so far is forgotten.
    func startStep(at time: UInt64) { state.withLock { $0 = State(started: time) } }

    func acked(_ id: String, conversationId: String, seq: Int64, at time: UInt64) {
        state.withLock { state in
            guard let sent = state.sentAt[id] else { return }
            state.ackLatencies.append(Double(time - sent) / 1e6)
            state.acked.insert("\(conversationId):\(seq)")
        }
    }

    func delivered(conversationId: String, seq: Int64, to receiver: Int, sentAt: UInt64, at time: UInt64) {
        state.withLock { state in
            guard sentAt >= state.started else { return }
            let key = "\(conversationId):\(seq):\(receiver)"
            state.deliveries[key, default: 0] += 1
            if state.deliveries[key] == 1 { state.deliveryLatencies.append(Double(time &- sentAt) / 1e6) }
        }
    }

    /// A connection ended; counted when the run is still going.
    func connectionEnded(_ how: String) {
        state.withLock { state in if !state.finished { state.closedEarly.append(how) } }
    }

    /// The run is over: connections closed from now on are the load program's doing.
    func finish() { state.withLock { $0.finished = true } }

    /// The step's figures as text and as a JSON object.
    func report(groupSize: Int, users: Int, rate: Int, duration: Int) -> (text: String, summary: [String: Any]) {
        let state = state.withLock { $0 }
        let expected = state.acked.count * (groupSize - 1)
        let uniqueDelivered = state.deliveries.keys.filter { key in
            state.acked.contains(String(key[..<key.lastIndex(of: ":")!]))
        }.count
        let duplicates = state.deliveries.values.reduce(0) { $0 + max(0, $1 - 1) }
        let closes = Dictionary(state.closedEarly.map { ($0, 1) }, uniquingKeysWith: +)
        // Messages that some members did not get: how many got each, to tell a lost message from a lost connection.
        var receivers: [Substring: Int] = [:]
        for key in state.deliveries.keys { receivers[key[..<key.lastIndex(of: ":")!], default: 0] += 1 }
        let incomplete = state.acked.filter { (receivers[Substring($0)] ?? 0) < groupSize - 1 }.sorted()
        let examples = incomplete.prefix(5).map { "\($0) reached \(receivers[Substring($0)] ?? 0) of \(groupSize - 1)" }
        func percentiles(_ values: [Double]) -> [String: Double] {
            let sorted = values.sorted()
            func at(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
            return ["p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": sorted.last ?? 0]
        }
        let ack = percentiles(state.ackLatencies)
        let delivery = percentiles(state.deliveryLatencies)
        let summary: [String: Any] = [
            "users": users, "groupSize": groupSize, "targetRate": rate, "durationSeconds": duration,
            "sent": state.sentAt.count, "acked": state.acked.count, "expectedDeliveries": expected,
            "delivered": uniqueDelivered, "lost": max(0, expected - uniqueDelivered), "duplicated": duplicates,
            "achievedRate": Double(state.acked.count) / Double(duration), "connectionsClosedEarly": closes,
            "incompleteMessages": incomplete.count,
            "ackLatencyMs": ack, "deliveryLatencyMs": delivery,
        ]
        let text = """
            sent \(state.sentAt.count), acked \(state.acked.count) (\(String(format: "%.0f", Double(state.acked.count) / Double(duration)))/s), \
            delivered \(uniqueDelivered) of \(expected), lost \(max(0, expected - uniqueDelivered)), duplicated \(duplicates)
            connections closed during the run: \(state.closedEarly.count)\(closes.isEmpty ? "" : " \(closes.sorted { $0.key < $1.key })")
            messages not delivered to every member: \(incomplete.count)\(examples.isEmpty ? "" : " e.g. \(examples.joined(separator: ", "))")
            ack latency ms      p50 \(f(ack["p50"]!))  p95 \(f(ack["p95"]!))  p99 \(f(ack["p99"]!))  max \(f(ack["max"]!))
            delivery latency ms p50 \(f(delivery["p50"]!))  p95 \(f(delivery["p95"]!))  p99 \(f(delivery["p99"]!))  max \(f(delivery["max"]!))
            """
        return (text, summary)
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
