import Crypto
import Foundation
import HummingbirdBcrypt
import Metrics
import NIOCore
import NIOPosix
import ServiceKit
import ServiceLifecycle
import Synchronization

/// bcrypt password hashes, computed on a thread pool of their own: at cost 12 one hash takes about 250 ms, which
/// must never run on an event loop or the cooperative pool.
///
/// bcrypt reads at most 72 bytes and stops at a NUL byte, so the password is first reduced to the base64 of its
/// SHA-256 (44 ASCII characters): every character of a 128-character password counts.
///
/// A check waits at most about ``maximumWait`` for its turn: when the queue ahead of it would take longer (from the
/// measured hashing time, so a box under load queues fewer), the request gets 503 at once with `Retry-After` instead
/// of queueing behind a burst of logins until the gateway gives up: after an outage every client logs in at once, and
/// each should be told when to come back rather than time out. `Retry-After` is an appointment (``RetryAppointments``):
/// the refused clients are spread over the time the threads need for all of them, so each comes back once, when there
/// is room, instead of all of them coming back together and being refused again.
final class PasswordHasher: Service, Sendable {
    /// The longest a check should wait for a thread.
    static let maximumWait: Duration = .seconds(5)
    let cost: Int
    private let threadPool: NIOThreadPool
    private let threads: Int
    private let pending = Atomic<Int>(0)
    private let appointments = Mutex(RetryAppointments())
    /// How long one hash took lately, in microseconds (a moving average that follows a rise faster than a fall).
    private let hashMicroseconds: Atomic<Int>
    private let queueDepth = Gauge(label: "auth_password_hash_queue_depth")
    private let refusals = Counter(label: "auth_password_hash_refusals_total")
    /// A hash of a random password at ``cost``, checked when the username does not exist so that a login takes as
    /// long whether or not it does.
    private let dummyHash: String

    /// Starts the pool and computes the dummy hash.
    init(cost: Int, threads: Int = System.coreCount) async throws {
        self.cost = cost
        threadPool = NIOThreadPool(numberOfThreads: threads)
        threadPool.start()
        self.threads = threads
        let random = Base64URL.encode((0..<32).map { _ in UInt8.random(in: .min ... .max) })
        let started = ContinuousClock.now
        dummyHash = try await threadPool.runIfActive { Bcrypt.hash(Self.prepared(random), cost: UInt8(cost)) }
        hashMicroseconds = Atomic(Self.microseconds(ContinuousClock.now - started))
    }

    /// The hash to store for `password`.
    func hash(_ password: String) async throws -> String {
        let cost = UInt8(cost)
        return try await run { Bcrypt.hash(Self.prepared(password), cost: cost) }
    }

    /// Whether `password` matches `hash`; with no hash (unknown user), checks against the dummy hash and answers
    /// false, taking the same time.
    func verify(_ password: String, against hash: String?) async throws -> Bool {
        let stored = hash ?? dummyHash
        let matches = try await run { Bcrypt.verify(Self.prepared(password), hash: stored) }
        return matches && hash != nil
    }

    /// Runs `work` on the pool unless too many are pending (503 `unavailable` with `Retry-After`).
    private func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        let (_, depth) = pending.add(1, ordering: .relaxed)
        queueDepth.record(depth)
        defer { queueDepth.record(pending.subtract(1, ordering: .relaxed).newValue) }
        let limit = maxPending
        guard depth <= limit else {
            refusals.increment()
            throw APIError.unavailable("too many password checks in progress; retry later", retryAfterSeconds: retryAfterSeconds(admitted: limit))
        }
        return try await threadPool.runIfActive { [self] in
            let started = ContinuousClock.now
            defer {
                // Up fast, down slowly: when the box gets busy, the queue shrinks within a hash or two.
                let taken = Self.microseconds(ContinuousClock.now - started)
                let average = hashMicroseconds.load(ordering: .relaxed)
                hashMicroseconds.store(taken > average ? (average + taken) / 2 : (average * 7 + taken) / 8, ordering: .relaxed)
            }
            return work()
        }
    }

    /// How many checks may wait or run at once: as many as the threads finish within ``maximumWait`` at the recent
    /// hashing time, and at least one per thread.
    var maxPending: Int {
        let perThread = Int(Self.maximumWait.components.seconds) * 1_000_000 / max(1, hashMicroseconds.load(ordering: .relaxed))
        return threads * max(1, perThread)
    }

    /// The next appointment for a check refused with `admitted` checks ahead of it, in whole seconds, at least 1.
    private func retryAfterSeconds(admitted: Int) -> Int {
        let spacing = hashMicroseconds.load(ordering: .relaxed) / max(1, threads)
        let wait = appointments.withLock {
            $0.book(now: .now, drain: .microseconds(admitted * spacing), spacing: .microseconds(spacing))
        }
        return max(1, (Self.microseconds(wait) + 999_999) / 1_000_000)
    }

    private static func microseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds) * 1_000_000 + Int(duration.components.attoseconds / 1_000_000_000_000)
    }

    private static func prepared(_ password: String) -> String {
        Data(SHA256.hash(data: Array(password.utf8))).base64EncodedString()
    }

    /// Stops the pool after graceful shutdown.
    func run() async throws {
        try? await gracefulShutdown()
        try await threadPool.shutdownGracefully()
    }
}
