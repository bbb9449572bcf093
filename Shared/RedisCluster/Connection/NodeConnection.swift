import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One multiplexed connection to a node: any number of callers may send at once; their commands are pipelined
/// and each gets its own replies. Never blocks a thread.
///
/// Requests from concurrent callers are gathered in an outbox (their bytes in one buffer) and written by one
/// event-loop task with one write and one flush, so a busy connection makes one system call for many requests.
final class NodeConnection: Sendable {
    let address: NodeAddress
    private let channel: Channel
    private let timeout: TimeAmount
    private let outbox = Mutex<(batch: RESPBatch, drainScheduled: Bool)>((RESPBatch(bytes: ByteBuffer(), waiting: []), false))

    private init(address: NodeAddress, channel: Channel, timeout: TimeAmount) {
        self.address = address
        self.channel = channel
        self.timeout = timeout
    }

    /// Connects (over TLS when the configuration says so, waiting for the verified handshake), authenticates when
    /// credentials are given, and sends `READONLY` when `readOnly` (replica reads). `onPush` makes it a subscriber
    /// connection: every reply goes there instead of to a caller.
    static func connect(
        to address: NodeAddress, on group: EventLoopGroup, configuration: RedisClusterConfiguration,
        readOnly: Bool = false, onPush: (@Sendable (RESPValue) -> Void)? = nil
    ) async throws -> NodeConnection {
        let timeout = TimeAmount.milliseconds(Int64(configuration.commandTimeoutMilliseconds))
        let checkInterval = TimeAmount.milliseconds(max(5, Int64(configuration.commandTimeoutMilliseconds) / 10))
        let loop = group.next()
        let tls = configuration.tls
        let handshake = tls.map { _ in loop.makePromise(of: Void.self) }
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(timeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        if let tls, let handshake {
                            try pipeline.addHandler(try NIOSSLClientHandler(context: tls.context, serverHostname: address.tlsServerName))
                            try pipeline.addHandler(TLSHandshakeHandler(promise: handshake))
                        }
                        try pipeline.addHandler(
                            try RESPChannelHandler(address: address, timeoutCheckInterval: checkInterval, onPush: onPush))
                    }
                }
                .connect(host: address.host, port: address.port).get()
        } catch {
            handshake?.fail(error)
            throw RedisError(kind: .connectionRefused, message: "\(address): \(error)")
        }
        if let handshake {
            // The handshake gets the command timeout too: a port that accepts but never answers must not hang us.
            let timer = loop.scheduleTask(in: timeout) {
                handshake.fail(
                    RedisError(
                        kind: .connectionRefused, message: "\(address): no TLS handshake within \(configuration.commandTimeoutMilliseconds) ms"))
            }
            do {
                try await handshake.futureResult.get()
                timer.cancel()
            } catch {
                timer.cancel()
                channel.close(promise: nil)
                throw tlsHandshakeError(error, address: address)
            }
        }
        let connection = NodeConnection(address: address, channel: channel, timeout: timeout)
        do {
            if let password = configuration.password {
                let auth = configuration.username.map { ["AUTH", $0, password] } ?? ["AUTH", password]
                try connection.checkOK(try await connection.sendSetup(RedisCommand(auth)))
            }
            if readOnly { try connection.checkOK(try await connection.sendSetup(RedisCommand(["READONLY"]))) }
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    private func sendSetup(_ command: RedisCommand) async throws -> RESPValue {
        try await send([command])[0]
    }

    private func checkOK(_ reply: RESPValue) throws {
        if case .error(let message) = reply { throw RedisError(kind: .server, message: "\(address): \(message)") }
    }

    var isActive: Bool { channel.isActive }

    /// Writes `commands` together and returns their replies in order (error replies are values, not throws).
    func send(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        let outcome = await ReplyGathering.gather(1) { group, gathering in
            submit(commands, for: gathering, group: group)
            return true
        }[0]
        return try Self.replies(outcome, from: address)
    }

    /// The replies of a group, or the error a caller should see: ``RedisError/Kind/connectionRefused`` when nothing
    /// was written (the caller may retry elsewhere), ``RedisError/Kind/connection`` when the commands may have been
    /// applied.
    static func replies(_ outcome: ReplyGathering.Outcome?, from address: NodeAddress) throws -> [RESPValue] {
        do {
            guard let outcome else { throw RedisError(kind: .connectionRefused, message: "\(address): nothing was sent") }
            return try outcome.get()
        } catch let error as RedisError {
            throw error
        } catch ChannelError.ioOnClosedChannel {
            // Closed before the commands were written (the node restarted since the pool last looked): nothing
            // was applied, so the caller may retry them on a new connection.
            throw RedisError(kind: .connectionRefused, message: "\(address): the connection closed before the commands were sent")
        } catch {
            throw RedisError(kind: .connection, message: "\(address): \(error)")
        }
    }

    /// Queues `commands` for writing; their replies (or the failure) complete `group` of `gathering`.
    func submit(_ commands: [RedisCommand], for gathering: ReplyGathering, group: Int) {
        let waiting = PendingReplies(gathering: gathering, group: group, expected: commands.count, deadline: .now() + timeout)
        let scheduleDrain = outbox.withLock { outbox in
            for command in commands { outbox.batch.bytes.writeRESP(command) }
            outbox.batch.waiting.append(waiting)
            defer { outbox.drainScheduled = true }
            return !outbox.drainScheduled
        }
        if scheduleDrain { channel.eventLoop.execute { self.drain() } }
    }

    /// Writes everything queued since the last drain with one write and one flush (on the event loop).
    private func drain() {
        let batch = outbox.withLock { outbox in
            defer { outbox = (RESPBatch(bytes: ByteBuffer(), waiting: []), false) }
            return outbox.batch
        }
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { error in
            // Not written (the channel closed first): nobody else will answer these callers.
            for waiting in batch.waiting { waiting.gathering.complete(waiting.group, with: .failure(error)) }
        }
        channel.writeAndFlush(batch, promise: written)
    }

    /// Writes commands whose answers arrive as pushes (subscriber mode).
    func write(_ command: RedisCommand) async throws {
        var bytes = channel.allocator.buffer(capacity: 64)
        bytes.writeRESP(command)
        do {
            try await channel.writeAndFlush(RESPBatch(bytes: bytes, waiting: [])).get()
        } catch {
            throw RedisError(kind: .connection, message: "\(address): \(error)")
        }
    }

    func close() { channel.close(promise: nil) }
}
