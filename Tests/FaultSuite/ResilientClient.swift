import Foundation
import HummingbirdWSClient
import Logging
import Synchronization

/// How a simulated user's client behaves; the defaults keep within contract v1.1's per-user limits (20 sends/s,
/// 5 `sync` frames per 10 s, 20 sockets) with a margin.
struct ClientSettings: Sendable {
    /// Sends queued (unacknowledged) per user before the load driver passes the user over.
    var maxPending = 100
    /// `send` frames awaiting their ack at once on one socket.
    var maxInFlight = 32
    /// The client's own token bucket for `send` frames, retries included.
    var sendRate = 15.0
    var sendBurst = 40.0
    /// A send without an ack for this long is written again (same clientMessageId); the wait doubles with each
    /// timeout of the same message, up to 8×.
    var ackTimeout: Duration = .seconds(10)
    /// A `ping` frame after this long without one; the socket is given up after `deadAfter` without any frame.
    var heartbeat: Duration = .seconds(5)
    var deadAfter: Duration = .seconds(15)
    /// A socket that has not said `hello` this long after the connection started is given up.
    var helloTimeout: Duration = .seconds(10)
    /// `sync` frames per 10 s the client allows itself.
    var syncsPerTenSeconds = 4
    /// Where to write every frame each client receives and writes (for diagnosing a finding; large).
    var trace: FrameTrace?
}

/// Every frame of every client, one line each: time, user, direction, socket generation, frame.
final class FrameTrace: Sendable {
    private let handle: Mutex<FileHandle>
    private let start = ContinuousClock.now

    init(url: URL) throws {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        handle = Mutex(try FileHandle(forWritingTo: url))
    }

    func record(user: Int, _ direction: String, generation: Int, _ text: String) {
        let line = String(format: "%.3f", (ContinuousClock.now - start).seconds) + " user \(user) \(direction) #\(generation) \(text)\n"
        handle.withLock { $0.write(Data(line.utf8)) }
    }
}

/// A chat client as a real one must be: one WebSocket through the gateway that it keeps open. On a close or a failure
/// it reconnects with exponential backoff and jitter, `sync`s its conversation from the last seq it saw, and writes
/// its unacknowledged sends again with the same clientMessageId; an `error` frame for a send (`unavailable`,
/// `rate_limited`, anything not a refusal of the message itself) schedules a retry; it renews its access token before
/// expiry (refresh, then an `auth` frame; a new socket if that is refused) and reconnects after a 4001 close. It keeps
/// every (conversationId, seq) it has, live, through `sync`, or by an ack of its own send.
final class ResilientClient: Sendable {
    let index: Int
    let group: Int
    let conversationId: String
    let credentials: Credentials
    private let api: API
    private let ledger: Ledger
    private let url: String
    private let settings: ClientSettings
    private let logger: Logger

    private struct Pending {
        let number: Int
        let body: String
        var retryAt: ContinuousClock.Instant?
        /// Ack timeouts so far: each doubles the next wait, as a client must not flood a struggling server.
        var timeouts = 0
    }

    private struct State {
        // The socket.
        var generation = 0
        var connection: Task<String, Never>?
        var outgoing: AsyncStream<String>.Continuation?
        var connectStartedAt: ContinuousClock.Instant = .now
        var hello = false
        var everConnected = false
        var lastInboundAt: ContinuousClock.Instant = .now
        var lastPingAt: ContinuousClock.Instant = .now
        var pings = 0
        // Sends: every unacknowledged one, those to write (in the order they were made), those written and awaiting an
        // ack, and those waiting for a retry delay.
        var pending: [String: Pending] = [:]
        var toWrite: [String] = []
        var inFlight: [String: ContinuousClock.Instant] = [:]
        var nextNumber = 0
        var tokens: Double
        var tokensAt: ContinuousClock.Instant = .now
        // Catch-up.
        var syncTimes: [ContinuousClock.Instant] = []
        var syncDue = false
        var syncNotBefore: ContinuousClock.Instant = .now
        var syncOutstanding = false
        // Token renewal.
        var renewing = false
        var renewAfter: ContinuousClock.Instant = .now
        var forceRenewal = false
        var authRef: String?
        var authSentAt: ContinuousClock.Instant = .now
        // What the member has of its conversation.
        var received: Set<Int64> = []
        var maxSeq: Int64 = 0
        /// The highest seq received live from another member, to tell out-of-order deliveries.
        var maxLiveSeq: Int64 = 0
        var stopped = false
        // For diagnosing a member that lacks messages.
        var helloCount = 0
        var lastHelloAt: ContinuousClock.Instant?
        var lastMessageAt: ContinuousClock.Instant?
        var lastAckAt: ContinuousClock.Instant?
        var lastEnding: String?
    }

    private let state: Mutex<State>

    init(
        index: Int, group: Int, conversationId: String, credentials: Credentials, api: API, ledger: Ledger, gateway: String,
        settings: ClientSettings, logger: Logger
    ) {
        self.index = index
        self.group = group
        self.conversationId = conversationId
        self.credentials = credentials
        self.api = api
        self.ledger = ledger
        self.url = gateway.replacingOccurrences(of: "http://", with: "ws://") + "/v1/ws"
        self.settings = settings
        self.logger = logger
        state = Mutex(State(tokens: settings.sendBurst))
    }

    // MARK: What the suite asks

    /// Whether the socket is open and greeted.
    var isConnected: Bool { state.withLock { $0.hello } }
    var pendingCount: Int { state.withLock { $0.pending.count } }
    var received: Set<Int64> { state.withLock { $0.received } }

    /// The socket's story, for a report on a member that lacks messages: sockets opened, and how long ago the last
    /// hello, message frame and ack came and the last socket ended.
    var diagnosis: String {
        state.withLock { state in
            let now = ContinuousClock.now
            func ago(_ time: ContinuousClock.Instant?) -> String { time.map { "\((now - $0).seconds.formatted1) s ago" } ?? "never" }
            return
                "\(state.helloCount) sockets opened, last hello \(ago(state.lastHelloAt)), last message frame \(ago(state.lastMessageAt)), last ack \(ago(state.lastAckAt)), last socket ended: \(state.lastEnding ?? "none")"
        }
    }

    /// The user makes a send, with a clientMessageId of the run's own (`runId-user-number`). False when the client
    /// already queues `maxPending` sends (the driver then picks another user).
    func submit(runId: String) -> Bool {
        state.withLock { state in
            guard state.pending.count < settings.maxPending, !state.stopped else { return false }
            state.nextNumber += 1
            let id = "\(runId)-\(index)-\(state.nextNumber)"
            ledger.issued(id, group: group, sender: index, at: .now)
            state.pending[id] = Pending(number: state.nextNumber, body: "fault-suite-\(id)")
            state.toWrite.append(id)
            pump(&state, now: .now)
            return true
        }
    }

    /// Closes the socket and stops reconnecting.
    func stop() {
        let connection = state.withLock { state in
            state.stopped = true
            return state.connection
        }
        connection?.cancel()
    }

    /// Drops the socket as if the network had; the client reconnects.
    private func abandonConnection(_ reason: String) {
        let connection = state.withLock { $0.connection }
        logger.debug("user \(index): dropping the socket: \(reason)")
        connection?.cancel()
    }

    // MARK: The socket

    /// Keeps a socket open until ``stop()``.
    func run() async {
        var failures = 0
        while !state.withLock({ $0.stopped }) {
            let token = credentials.current
            let generation = state.withLock { state in
                state.generation += 1
                state.connectStartedAt = .now
                state.lastInboundAt = .now
                return state.generation
            }
            let connection = Task { await self.connect(generation: generation, token: token) }
            state.withLock { $0.connection = connection }
            let ending = await connection.value
            let (greeted, lived, stopped) = detach(generation: generation, ending: ending)
            if stopped { break }
            if greeted && lived > .seconds(5) { failures = 0 } else { failures += 1 }
            // After repeated failures, or a 4001 close, the token may be the reason: renew it first.
            if failures >= 3 || ending.contains("4001") { _ = try? await credentials.renew(api) }
            // Exponential backoff with full jitter: 250 ms · 2^failures, at most 5 s.
            let ceiling = min(250.0 * pow(2.0, Double(min(failures, 5))), 5000.0)
            try? await Task.sleep(for: .milliseconds(Int(Double.random(in: (ceiling / 2)...ceiling))))
        }
    }

    /// One socket, until it ends; returns how it ended.
    private func connect(generation: Int, token: String) async -> String {
        do {
            let close = try await WebSocketClient.connect(
                url: url,
                configuration: .init(
                    maxFrameSize: 1 << 20, additionalHeaders: [.authorization: "Bearer \(token)"],
                    closeTimeout: .seconds(2), autoPing: .disabled),
                logger: logger
            ) { inbound, outbound, _ in
                let (stream, continuation) = AsyncStream<String>.makeStream()
                self.attach(generation: generation, outgoing: continuation)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // One writer per socket, so frames leave in the order the client queued them.
                    group.addTask {
                        for await text in stream {
                            self.settings.trace?.record(user: self.index, ">", generation: generation, text)
                            try await outbound.write(.text(text))
                        }
                    }
                    do {
                        for try await message in inbound.messages(maxSize: 1 << 22) {
                            if case .text(let text) = message { self.receive(text, generation: generation) }
                        }
                    } catch {
                        continuation.finish()
                        throw error
                    }
                    continuation.finish()
                    group.cancelAll()
                }
            }
            guard let close else { return "closed without a close frame" }
            if case .unknown(let code) = close.closeCode { return "close \(code)" }
            return "close \(close.closeCode)"
        } catch {
            return "error: \(error)"
        }
    }

    private func attach(generation: Int, outgoing: AsyncStream<String>.Continuation) {
        state.withLock { state in
            guard state.generation == generation else {
                outgoing.finish()
                return
            }
            state.outgoing = outgoing
        }
    }

    /// The socket ended: its unacknowledged sends go back to be written again.
    private func detach(generation: Int, ending: String) -> (greeted: Bool, lived: Duration, stopped: Bool) {
        state.withLock { state in
            let greeted = state.hello
            let lived = ContinuousClock.now - state.connectStartedAt
            state.lastEnding = ending
            state.outgoing?.finish()
            state.outgoing = nil
            state.connection = nil
            state.hello = false
            state.syncOutstanding = false
            state.authRef = nil
            for id in state.inFlight.keys { requeue(&state, id) }
            let lost = state.inFlight.count
            state.inFlight.removeAll()
            if !state.stopped {
                let how = Self.shortReason(ending)
                ledger.count { counters in
                    if greeted {
                        counters.connectionsLost[how, default: 0] += 1
                        if lost > 0 { counters.failedAttempts["connection lost", default: 0] += lost }
                    } else {
                        counters.upgradeFailures[how, default: 0] += 1
                    }
                }
            }
            return (greeted, lived, state.stopped)
        }
    }

    /// A close code or the error's name, without addresses or ids, to count alike endings together.
    private static func shortReason(_ ending: String) -> String {
        let text = ending.prefix(80)
        if let paren = text.firstIndex(of: "("), text.hasPrefix("error") { return String(text[..<paren]) }
        return String(text)
    }

    // MARK: Frames from the server

    private func receive(_ text: String, generation: Int) {
        settings.trace?.record(user: index, "<", generation: generation, text)
        guard let frame = InboundFrame.decode(text) else {
            ledger.violation("user \(index): a frame that is not JSON with a type: \(text.prefix(200))")
            return
        }
        let now = ContinuousClock.now
        state.withLock { state in
            guard state.generation == generation else { return }
            state.lastInboundAt = now
            switch frame.type {
            case "hello":
                state.hello = true
                state.helloCount += 1
                state.lastHelloAt = now
                if state.everConnected { ledger.count { $0.reconnects += 1 } }
                state.everConnected = true
                state.lastPingAt = now
                state.syncDue = true
                flushSync(&state, now: now)
                pump(&state, now: now)
            case "ack":
                guard let message = frame.message else {
                    ledger.violation("user \(index): an ack without a message: \(text.prefix(200))")
                    return
                }
                ledger.acked(message.clientMessageId, group: group, seq: message.seq, at: now)
                state.pending[message.clientMessageId] = nil
                state.inFlight[message.clientMessageId] = nil
                state.toWrite.removeAll { $0 == message.clientMessageId }
                state.lastAckAt = now
                keep(&state, seq: message.seq, live: false)
                pump(&state, now: now)
            case "message":
                guard let message = frame.message, message.conversationId == conversationId else { return }
                // The member's own message may come back as a `message` frame after its ack: not a duplicate delivery.
                if message.senderId == credentials.userId, state.received.contains(message.seq) { return }
                state.lastMessageAt = now
                keep(&state, seq: message.seq, live: !state.syncOutstanding)
            case "synced":
                state.syncOutstanding = false
            case "authenticated":
                if frame.ref == state.authRef {
                    state.authRef = nil
                    ledger.count { $0.tokenRenewals += 1 }
                }
            case "error":
                let code = frame.code ?? "none"
                ledger.count { $0.errorFrames[code, default: 0] += 1 }
                handleError(&state, ref: frame.ref, code: code, text: frame.text ?? "", now: now)
            default:
                break  // pong, typing, presence, read, conversation, notification, message.updated
            }
        }
    }

    /// Records that the member has `seq`; a `live` frame below one already received live counts as out of order.
    private func keep(_ state: inout State, seq: Int64, live: Bool) {
        if state.received.insert(seq).inserted {
            if live {
                if seq < state.maxLiveSeq { ledger.count { $0.outOfOrderDeliveries += 1 } }
                state.maxLiveSeq = max(state.maxLiveSeq, seq)
            }
            state.maxSeq = max(state.maxSeq, seq)
        } else if live {
            ledger.count { $0.duplicateDeliveries += 1 }
        }
    }

    /// Codes that refuse the message itself: writing it again cannot help (the suite's sends are all valid, so each
    /// is a violation).
    private static let refusals: Set<String> = ["invalid_request", "forbidden", "not_found", "conflict", "payload_too_large"]

    private func handleError(_ state: inout State, ref: String?, code: String, text: String, now: ContinuousClock.Instant) {
        if let ref, state.pending[ref] != nil {
            state.inFlight[ref] = nil
            if Self.refusals.contains(code) {
                ledger.violation("user \(index): send \(ref) refused with \(code): \(text)")
                ledger.abandoned(ref)
                state.pending[ref] = nil
                state.toWrite.removeAll { $0 == ref }
                return
            }
            ledger.count { $0.failedAttempts["error \(code)", default: 0] += 1 }
            // Retry after a delay with jitter: longer for rate_limited (the budget refills at 20/s).
            let delay = code == "rate_limited" ? Int.random(in: 1000...2000) : Int.random(in: 300...1000)
            state.pending[ref]?.retryAt = now + .milliseconds(delay)
            requeue(&state, ref)
            if code == "unauthorized" { state.forceRenewal = true }
        } else if let ref, ref == state.authRef {
            // The fresh token was refused on this socket: open a new one with it.
            state.authRef = nil
            ledger.count { $0.tokenRenewalFallbacks += 1 }
            let connection = state.connection
            Task { connection?.cancel() }
        } else if state.syncOutstanding {
            // An error without a send's ref while a sync is outstanding answers the sync: ask again later.
            state.syncOutstanding = false
            state.syncDue = true
            state.syncNotBefore = now + .milliseconds(Int.random(in: 1000...2500))
        }
    }

    // MARK: Writing

    /// Writes what may be written now: sends within the in-flight limit and the token bucket.
    private func pump(_ state: inout State, now: ContinuousClock.Instant) {
        guard state.hello, let outgoing = state.outgoing else { return }
        state.tokens = min(settings.sendBurst, state.tokens + (now - state.tokensAt).seconds * settings.sendRate)
        state.tokensAt = now
        var index = 0
        while index < state.toWrite.count, state.inFlight.count < settings.maxInFlight, state.tokens >= 1 {
            let id = state.toWrite[index]
            guard let pending = state.pending[id] else {
                state.toWrite.remove(at: index)
                continue
            }
            if let retryAt = pending.retryAt, retryAt > now {
                index += 1
                continue
            }
            state.toWrite.remove(at: index)
            state.pending[id]?.retryAt = nil
            state.inFlight[id] = now
            state.tokens -= 1
            ledger.wrote(id)
            outgoing.yield(OutboundFrame.send(conversationId: conversationId, clientMessageId: id, body: pending.body))
        }
    }

    /// Puts a written send back among those to write, in the order the sends were made.
    private func requeue(_ state: inout State, _ id: String) {
        guard let number = state.pending[id]?.number, !state.toWrite.contains(id) else { return }
        let position = state.toWrite.firstIndex { (state.pending[$0]?.number ?? 0) > number } ?? state.toWrite.endIndex
        state.toWrite.insert(id, at: position)
    }

    /// Sends the `sync` that is due, within the client's own limit of `sync` frames per 10 s.
    private func flushSync(_ state: inout State, now: ContinuousClock.Instant) {
        guard state.syncDue, state.hello, let outgoing = state.outgoing, now >= state.syncNotBefore else { return }
        state.syncTimes.removeAll { now - $0 > .seconds(10) }
        guard state.syncTimes.count < settings.syncsPerTenSeconds else {
            state.syncNotBefore = state.syncTimes[0] + .seconds(10) + .milliseconds(100)
            return
        }
        state.syncTimes.append(now)
        state.syncDue = false
        state.syncOutstanding = true
        ledger.count { $0.syncs += 1 }
        outgoing.yield(OutboundFrame.sync(conversationId: conversationId, lastSeen: state.maxSeq))
    }

    /// Called every 50 ms by the load driver: ack timeouts, retries that are due, the heartbeat, a due `sync`, token
    /// renewal.
    func tick() {
        let now = ContinuousClock.now
        var drop: String?
        var renew = false
        state.withLock { state in
            guard !state.stopped else { return }
            if state.hello, let outgoing = state.outgoing {
                let late = state.inFlight.filter { id, writtenAt in
                    now - writtenAt > settings.ackTimeout * (1 << min(state.pending[id]?.timeouts ?? 0, 3))
                }.map(\.key)
                if !late.isEmpty {
                    ledger.count { $0.failedAttempts["ack timeout", default: 0] += late.count }
                    for id in late {
                        state.inFlight[id] = nil
                        state.pending[id]?.timeouts += 1
                        requeue(&state, id)
                    }
                }
                if now - state.lastInboundAt > settings.deadAfter {
                    drop = "no frame for \(settings.deadAfter)"
                } else if now - state.lastPingAt > settings.heartbeat {
                    state.lastPingAt = now
                    state.pings += 1
                    outgoing.yield(OutboundFrame.ping(ref: "ping-\(state.pings)"))
                }
                if let ref = state.authRef, now - state.authSentAt > .seconds(10) {
                    state.authRef = nil
                    ledger.count { $0.tokenRenewalFallbacks += 1 }
                    drop = "no answer to auth \(ref)"
                }
                flushSync(&state, now: now)
                pump(&state, now: now)
            } else if state.connection != nil, !state.hello, now - state.connectStartedAt > settings.helloTimeout {
                drop = "no hello within \(settings.helloTimeout)"
            }
            if !state.renewing, now >= state.renewAfter, state.forceRenewal || credentials.needsRenewal {
                state.renewing = true
                state.forceRenewal = false
                renew = true
            }
        }
        if let drop { abandonConnection(drop) }
        if renew { Task { await self.renewToken() } }
    }

    /// Refreshes the token and presents it on the open socket with an `auth` frame (contract v1.1).
    private func renewToken() async {
        do {
            try await credentials.renew(api)
            state.withLock { state in
                state.renewing = false
                guard state.hello, let outgoing = state.outgoing else { return }
                let ref = "auth-\(state.generation)-\(Int.random(in: 0..<1_000_000))"
                state.authRef = ref
                state.authSentAt = .now
                outgoing.yield(OutboundFrame.auth(ref: ref, accessToken: credentials.current))
            }
        } catch {
            // The auth service may be the one that is down: try again in a few seconds.
            state.withLock { state in
                state.renewing = false
                state.renewAfter = .now + .seconds(Int.random(in: 3...6))
            }
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
