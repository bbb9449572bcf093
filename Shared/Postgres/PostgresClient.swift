import Logging
import NIOPosix
import ServiceLifecycle

/// A bounded pool of libpq connections whose blocking calls run on a dedicated thread pool, never on an event loop.
///
/// Run it as a `Service` in the process's `ServiceGroup`: on graceful shutdown it stops handing out connections
/// and closes the idle ones. Connections that libpq reports broken are dropped and replaced on the next use, so
/// work after a server restart succeeds while work in flight at the time fails with ``PostgresError/Kind/connectionLost``.
public final class PostgresClient: Service, Sendable {
    public let configuration: PostgresConfiguration
    private let threadPool: NIOThreadPool
    private let pool: ConnectionPool
    private let logger: Logger

    public init(configuration: PostgresConfiguration, logger: Logger) {
        self.configuration = configuration
        self.threadPool = NIOThreadPool(numberOfThreads: configuration.poolSize)
        self.threadPool.start()
        self.pool = ConnectionPool(limit: configuration.poolSize)
        self.logger = logger
    }

    /// The linked libpq's version number (`150020` for 15.20).
    public static var libraryVersion: Int { PostgresConnection.libraryVersion }

    /// Runs one parameterised statement; parameters bind to `$1`, `$2`, … and are never spliced into the SQL.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) async throws -> [PostgresRow] {
        try await withConnection { connection in try connection.execute(sql, parameters) }
    }

    /// Runs `body` in one transaction on one connection: committed when it returns, rolled back when it throws.
    ///
    /// `body` runs synchronously on a worker thread (it must not wait for other asynchronous work while it holds
    /// the connection). A ``PostgresError/isRetryable`` failure means the whole transaction may be run again.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresTransaction) throws -> T) async throws -> T {
        try await withConnection { connection in
            try connection.execute("BEGIN", [])
            do {
                let value = try body(PostgresTransaction(connection: connection))
                try connection.execute("COMMIT", [])
                return value
            } catch {
                if connection.isHealthy { _ = try? connection.execute("ROLLBACK", []) }
                throw error
            }
        }
    }

    /// Runs the ``ServiceLifecycle/Service``: waits for graceful shutdown, then closes the pool.
    public func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
    }

    /// Closes the pool and stops its threads, for a client used outside a `ServiceGroup` (a one-off command, a
    /// test); later calls fail with ``PostgresError/Kind/poolClosed``.
    public func shutdown() async throws {
        let idle = await pool.close()
        try await threadPool.runIfActive { idle.forEach { $0.close() } }
        try await threadPool.shutdownGracefully()
    }

    /// Runs `body` on the thread pool with a connection: an idle one that is still open, else a new one. A connection
    /// that is broken afterwards is closed there too (closing blocks), and only healthy ones go back to the pool.
    private func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let lease = try await pool.acquire()
        let configuration = self.configuration
        do {
            let outcome: (T, PostgresConnection?) = try await threadPool.runIfActive {
                var reusable = lease.connection
                if let idle = reusable, !idle.isAliveWhileIdle() {
                    idle.close()
                    reusable = nil
                }
                let connection = try reusable ?? PostgresConnection(configuration: configuration)
                do {
                    let value = try body(connection)
                    guard connection.isHealthy else {
                        connection.close()
                        return (value, nil)
                    }
                    return (value, connection)
                } catch let error as PostgresError where error.kind != .connectionLost && connection.isHealthy {
                    throw LeasedFailure(error: error, connection: connection)
                } catch {
                    connection.close()
                    throw error
                }
            }
            if let connection = outcome.1 { await pool.release(connection) } else { await pool.discard() }
            return outcome.0
        } catch let failure as LeasedFailure {
            await pool.release(failure.connection)
            throw failure.error
        } catch {
            logger.debug("postgres connection dropped", metadata: ["error": "\(error)"])
            await pool.discard()
            throw error
        }
    }
}

/// The statements of one ``PostgresClient/transaction(_:)``.
public struct PostgresTransaction: Sendable {
    let connection: PostgresConnection

    /// Runs one parameterised statement inside the transaction.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws -> [PostgresRow] {
        try connection.execute(sql, parameters)
    }

    /// Runs a trusted multi-statement SQL script (no parameters) inside the transaction.
    public func executeScript(_ sql: String) throws {
        try connection.executeScript(sql)
    }
}

/// A query error on a connection that is still fine to reuse.
private struct LeasedFailure: Error, @unchecked Sendable {
    let error: PostgresError
    let connection: PostgresConnection
}

extension PostgresConnection: @unchecked Sendable {}

/// Hands out at most `limit` connections; callers beyond that wait in FIFO order.
private actor ConnectionPool {
    /// A permit to use one connection slot, carrying an idle connection when one was available.
    struct Lease: Sendable { let connection: PostgresConnection? }

    private let limit: Int
    private var idle: [PostgresConnection] = []
    /// Connections returned after the pool closed, still to be closed.
    private var closing: [PostgresConnection] = []
    private var leased = 0
    /// Callers waiting for a slot, oldest first, each with an id so that a cancelled one can leave the queue.
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Lease, Error>)] = []
    private var nextWaiter: UInt64 = 0
    private var closed = false

    init(limit: Int) { self.limit = limit }

    /// A slot; waits for one when all are leased. A caller whose task is cancelled while waiting leaves the queue
    /// with `CancellationError`.
    func acquire() async throws -> Lease {
        guard !closed else { throw PostgresError(kind: .poolClosed, message: "the connection pool is shut down") }
        if leased < limit {
            leased += 1
            return Lease(connection: idle.popLast())
        }
        nextWaiter += 1
        let id = nextWaiter
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    /// Returns a healthy connection to the pool, or hands it straight to the next waiter.
    func release(_ connection: PostgresConnection) {
        if !waiters.isEmpty {
            waiters.removeFirst().continuation.resume(returning: Lease(connection: connection))
            return
        }
        leased -= 1
        if closed { closing.append(connection) } else { idle.append(connection) }
    }

    /// Gives back a slot whose connection was lost.
    func discard() {
        if !waiters.isEmpty {
            waiters.removeFirst().continuation.resume(returning: Lease(connection: nil))
            return
        }
        leased -= 1
    }

    /// Stops handing out connections; returns the idle ones, for the caller to close on the thread pool.
    func close() -> [PostgresConnection] {
        closed = true
        let pending = waiters
        waiters.removeAll()
        for waiter in pending {
            waiter.continuation.resume(throwing: PostgresError(kind: .poolClosed, message: "the connection pool is shut down"))
        }
        defer {
            idle.removeAll()
            closing.removeAll()
        }
        return idle + closing
    }
}
