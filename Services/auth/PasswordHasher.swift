import Crypto
import Foundation
import HummingbirdBcrypt
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
/// instead of queueing for ever behind a burst of logins.
final class PasswordHasher: Service, Sendable {
    static let maxPendingPerThread = 16
    let cost: Int
    private let threadPool: NIOThreadPool
    private let maxPending: Int
    private let pending = Atomic<Int>(0)
    /// A hash of a random password at ``cost``, checked when the username does not exist so that a login takes as
    /// long whether or not it does.
    private let dummyHash: String

    /// Starts the pool and computes the dummy hash.
    init(cost: Int, threads: Int = System.coreCount) async throws {
        self.cost = cost
        threadPool = NIOThreadPool(numberOfThreads: threads)
        threadPool.start()
        maxPending = threads * Self.maxPendingPerThread
        let random = Base64URL.encode((0..<32).map { _ in UInt8.random(in: .min ... .max) })
        dummyHash = try await threadPool.runIfActive { Bcrypt.hash(Self.prepared(random), cost: UInt8(cost)) }
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

    /// Runs `work` on the pool unless too many are pending (503 `unavailable`).
    private func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        let (_, now) = pending.add(1, ordering: .relaxed)
        defer { pending.subtract(1, ordering: .relaxed) }
        guard now <= maxPending else { throw APIError.unavailable("too many password checks in progress; retry shortly") }
        return try await threadPool.runIfActive(work)
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
