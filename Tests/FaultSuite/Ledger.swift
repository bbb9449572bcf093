import Foundation
import Synchronization

/// What happened to the clients during one phase of the run (a fault, from its injection until the sends recovered
/// after its restoration; or the steady load between faults).
struct PhaseCounters: Codable, Sendable {
    /// Sends the simulated users made (each one message with its own clientMessageId).
    var issued = 0
    /// Sends acknowledged for the first time.
    var acked = 0
    /// `send` frames written, first attempts and retries.
    var writes = 0
    /// `send` frames written again for a message already written once (same clientMessageId).
    var retries = 0
    /// Distinct messages that needed at least one retry.
    var retriedMessages = 0
    /// Attempts that failed, by cause: `error <code>` frames, `ack timeout`, `connection lost` (in flight when the
    /// socket ended).
    var failedAttempts: [String: Int] = [:]
    /// Sockets that ended while the suite wanted them, by how (close code or error).
    var connectionsLost: [String: Int] = [:]
    /// Sockets opened again after one ended (hello received).
    var reconnects = 0
    /// Upgrades that failed (refused or no answer), by error.
    var upgradeFailures: [String: Int] = [:]
    /// `sync` frames sent.
    var syncs = 0
    /// `error` frames by code, whatever they answered.
    var errorFrames: [String: Int] = [:]
    /// `message` frames for a (conversation, seq) the member already had (allowed: at least once).
    var duplicateDeliveries = 0
    /// `message` frames whose seq was below one the member had already received live (the contract promises seq order).
    var outOfOrderDeliveries = 0
    /// Access tokens renewed (refresh, then an `auth` frame), and renewals that fell back to a new socket.
    var tokenRenewals = 0
    var tokenRenewalFallbacks = 0
}

/// The run's accounting: every send the simulated users made, its acknowledgement, the counters of each phase, the
/// violations found, and the recovery watches that time each fault.
final class Ledger: Sendable {
    struct Send: Sendable {
        let group: Int
        let sender: Int
        let issuedAt: ContinuousClock.Instant
        var writes = 0
        var ackedAt: ContinuousClock.Instant?
        var seq: Int64?
        /// Given up by the client (a refusal that no retry can change); never expected in history.
        var abandoned = false
    }

    /// Times when each group first had an ack for a send issued at or after `start`.
    struct Watch: Sendable {
        let start: ContinuousClock.Instant
        var recoveredAt: [Int: ContinuousClock.Instant] = [:]
    }

    private struct State {
        var sends: [String: Send] = [:]
        /// group → seq → clientMessageId, from acks.
        var ackedSeqs: [Int: [Int64: String]] = [:]
        var phases: [String: PhaseCounters] = [:]
        var phaseOrder: [String] = []
        var phase = "setup"
        var violations: [String] = []
        var watches: [Int: Watch] = [:]
        var nextWatch = 0
    }

    let groupCount: Int
    private let state = Mutex(State())

    init(groupCount: Int) { self.groupCount = groupCount }

    // MARK: Phases

    /// From now on, events count for `name`.
    func setPhase(_ name: String) {
        state.withLock { state in
            state.phase = name
            if state.phases[name] == nil {
                state.phases[name] = PhaseCounters()
                state.phaseOrder.append(name)
            }
        }
    }

    func counters(_ name: String) -> PhaseCounters { state.withLock { $0.phases[name] ?? PhaseCounters() } }

    /// Adds to the current phase's counters.
    func count(_ update: (inout PhaseCounters) -> Void) {
        state.withLock { state in
            var counters = state.phases[state.phase] ?? PhaseCounters()
            update(&counters)
            state.phases[state.phase] = counters
        }
    }

    // MARK: Violations

    func violation(_ text: String) { state.withLock { $0.violations.append(text) } }
    var violations: [String] { state.withLock { $0.violations } }

    // MARK: Sends

    func issued(_ clientMessageId: String, group: Int, sender: Int, at time: ContinuousClock.Instant) {
        state.withLock { state in
            state.sends[clientMessageId] = Send(group: group, sender: sender, issuedAt: time)
            state.phases[state.phase, default: PhaseCounters()].issued += 1
        }
    }

    /// A `send` frame for `clientMessageId` was written.
    func wrote(_ clientMessageId: String) {
        state.withLock { state in
            guard var send = state.sends[clientMessageId] else { return }
            send.writes += 1
            state.sends[clientMessageId] = send
            var counters = state.phases[state.phase] ?? PhaseCounters()
            counters.writes += 1
            if send.writes > 1 { counters.retries += 1 }
            if send.writes == 2 { counters.retriedMessages += 1 }
            state.phases[state.phase] = counters
        }
    }

    func abandoned(_ clientMessageId: String) { state.withLock { $0.sends[clientMessageId]?.abandoned = true } }

    /// An ack: the message `clientMessageId` is stored as `seq` of `group`. A second ack must name the same seq, and no
    /// seq may be acknowledged for two messages.
    func acked(_ clientMessageId: String, group: Int, seq: Int64, at time: ContinuousClock.Instant) {
        state.withLock { state in
            guard var send = state.sends[clientMessageId] else {
                state.violations.append("ack for a clientMessageId the suite never sent: \(clientMessageId)")
                return
            }
            if let first = send.seq {
                if first != seq {
                    state.violations.append(
                        "clientMessageId \(clientMessageId) acknowledged as seq \(first) and as seq \(seq) of group \(group): stored twice")
                }
                return
            }
            if let other = state.ackedSeqs[group]?[seq], other != clientMessageId {
                state.violations.append("seq \(seq) of group \(group) acknowledged for two messages: \(other) and \(clientMessageId)")
            }
            send.seq = seq
            send.ackedAt = time
            state.sends[clientMessageId] = send
            state.ackedSeqs[group, default: [:]][seq] = clientMessageId
            state.phases[state.phase, default: PhaseCounters()].acked += 1
            for (id, var watch) in state.watches where send.issuedAt >= watch.start && watch.recoveredAt[group] == nil {
                watch.recoveredAt[group] = time
                state.watches[id] = watch
            }
        }
    }

    /// The acknowledged messages of `group`: seq → clientMessageId.
    func ackedMessages(group: Int) -> [Int64: String] { state.withLock { $0.ackedSeqs[group] ?? [:] } }

    func send(_ clientMessageId: String) -> Send? { state.withLock { $0.sends[clientMessageId] } }

    /// Sends neither acknowledged nor abandoned.
    func unacknowledged() -> [String] {
        state.withLock { state in state.sends.filter { $0.value.seq == nil && !$0.value.abandoned }.map(\.key).sorted() }
    }

    var totals: (issued: Int, acked: Int) {
        state.withLock { state in (state.sends.count, state.sends.values.count { $0.seq != nil }) }
    }

    // MARK: Recovery

    /// Starts timing a recovery: it is complete when every group has an ack for a send issued at or after `start`.
    func beginWatch(at start: ContinuousClock.Instant = .now) -> Int {
        state.withLock { state in
            let id = state.nextWatch
            state.nextWatch += 1
            state.watches[id] = Watch(start: start)
            return id
        }
    }

    /// The time from the watch's start until the last group recovered, once every group has.
    func recovery(_ watch: Int) -> Duration? {
        state.withLock { state in
            guard let watch = state.watches[watch], watch.recoveredAt.count == groupCount else { return nil }
            return watch.recoveredAt.values.max()! - watch.start
        }
    }

    /// Groups not yet recovered for a watch.
    func unrecoveredGroups(_ watch: Int) -> [Int] {
        state.withLock { state in
            guard let watch = state.watches[watch] else { return [] }
            return (0..<groupCount).filter { watch.recoveredAt[$0] == nil }
        }
    }

    /// Waits (polling every 50 ms) until the watch is complete or `timeout` has passed.
    func waitForRecovery(_ watch: Int, timeout: Duration) async -> Duration? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let recovered = recovery(watch) { return recovered }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return recovery(watch)
    }
}
