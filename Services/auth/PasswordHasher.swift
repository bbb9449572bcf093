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
/// At most ``maxPendingPerThread`` checks per thread wait or run at once; beyond that a request gets 503 at once
/// with `Retry-After` (the time the queue takes to drain, from the measured hashing time) instead of queueing for
/// ever behind a burst of logins: after an outage every client logs in at once, and each should be told when to
/// come back rather than time out.
final class PasswordHasher: Service, Sendable {
    static let maxPendingPerThread = 16
    let cost: Int
    private let threadPool: NIOThreadPool
    private let threads: Int
    private let maxPending: Int
    private let pending = Atomic<Int>(0)
    /// How long one hash took lately, in microseconds (a moving average).
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
        maxPending = threads * Self.maxPendingPerThread
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
        let (_, now) = pending.add(1, ordering: .relaxed)
        queueDepth.record(now)
        defer { queueDepth.record(pending.subtract(1, ordering: .relaxed).newValue) }
        guard now <= maxPending else {
            refusals.increment()
            throw APIError.unavailable("too many password checks in progress; retry later", retryAfterSeconds: retryAfterSeconds)
        }
        return try await threadPool.runIfActive { [self] in
            let started = ContinuousClock.now
            defer {
                let taken = Self.microseconds(ContinuousClock.now - started)
                hashMicroseconds.store((hashMicroseconds.load(ordering: .relaxed) * 7 + taken) / 8, ordering: .relaxed)
            }
            return work()
        }
    }

    /// Seconds until a full queue has drained, at least 1.
    var retryAfterSeconds: Int {
        let drain = maxPending * hashMicroseconds.load(ordering: .relaxed) / max(1, threads)
        return max(1, (drain + 999_999) / 1_000_000)
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
