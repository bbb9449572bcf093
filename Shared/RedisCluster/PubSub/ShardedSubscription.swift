import Synchronization

/// A message received on a sharded channel.
public struct ShardedMessage: Sendable, Equatable {
    public let channel: String
    public let payload: [UInt8]

    /// The payload as UTF-8 text.
    public var text: String { String(decoding: payload, as: UTF8.self) }
}

/// Messages of one sharded channel (`SSUBSCRIBE`), as an `AsyncSequence` that ends when the subscriber stops
/// iterating or calls ``cancel()``.
///
/// The subscription follows its channel's slot: when the serving master dies, or the slot moves (the server sends
/// `sunsubscribe`), it reloads the topology and subscribes again on the new owner. Pub/sub is at most once:
/// messages published while it resubscribes are not seen.
public final class ShardedSubscription: AsyncSequence, Sendable {
    public typealias Element = ShardedMessage

    private let messages: AsyncStream<ShardedMessage>
    private let maintainer: Task<Void, Never>

    init(messages: AsyncStream<ShardedMessage>, maintainer: Task<Void, Never>) {
        self.messages = messages
        self.maintainer = maintainer
    }

    /// Unsubscribes and ends the sequence.
    public func cancel() { maintainer.cancel() }

    public func makeAsyncIterator() -> AsyncStream<ShardedMessage>.Iterator { messages.makeAsyncIterator() }
}

extension RedisClusterClient {
    /// `SPUBLISH channel message` on the master serving the channel's slot; returns how many subscribers got it.
    @discardableResult
    public func spublish(_ channel: String, _ message: String) async throws -> Int64 {
        try await integer(RedisCommand(["SPUBLISH", channel, message], keys: [channel]))
    }

    /// Subscribes to a sharded channel. Returns once the server confirmed the first subscription, so every message
    /// published afterwards is delivered (until a failover or slot move, see ``ShardedSubscription``).
    public func ssubscribe(_ channel: String) async throws -> ShardedSubscription {
        let (messages, output) = AsyncStream.makeStream(of: ShardedMessage.self, bufferingPolicy: .bufferingNewest(10_000))
        var session = try await subscribeOnce(channel, output: output)
        let maintainer = Task {
            while !Task.isCancelled {
                // Wait until the subscription ends: connection closed, slot moved away, or an error reply.
                while let event = await session.events.next(), event != .ended {}
                session.connection.close()
                var backoff = RetryBackoff(cap: .seconds(1), deadline: .now + .seconds(3600))
                while !Task.isCancelled {
                    try? await self.refreshTopology()
                    if let renewed = try? await self.subscribeOnce(channel, output: output) {
                        session = renewed
                        break
                    }
                    if !(await backoff.wait()) { backoff = RetryBackoff(cap: .seconds(1), deadline: .now + .seconds(3600)) }
                }
            }
            session.connection.close()
            output.finish()
        }
        output.onTermination = { _ in maintainer.cancel() }
        return ShardedSubscription(messages: messages, maintainer: maintainer)
    }

    private enum SubscriptionEvent: Sendable {
        case confirmed
        case ended
        /// The command timeout passed before the confirmation; ignored once the subscription is confirmed.
        case timedOut
    }

    /// Connects to the channel's master, sends `SSUBSCRIBE` and waits (up to the command timeout) for the
    /// confirmation. Messages go straight to `output`; the returned events tell when the subscription ends.
    ///
    /// The timeout is an event in the same stream as the confirmation, so whichever comes first decides: a late
    /// timer can never close a connection whose subscription was already confirmed.
    private func subscribeOnce(
        _ channel: String, output: AsyncStream<ShardedMessage>.Continuation
    ) async throws -> (connection: NodeConnection, events: AsyncStream<SubscriptionEvent>.Iterator) {
        let slot = HashSlot(key: channel)
        guard let owner = try await routeOrRefresh(slot) else {
            throw RedisError(kind: .slotNotCovered, message: "no node serves slot \(slot)")
        }
        let (events, input) = AsyncStream.makeStream(of: SubscriptionEvent.self)
        let connection = try await subscriberConnection(to: owner) { push in
            guard let parts = push.array, let kind = parts.first?.string else {
                input.yield(.ended)  // connection closed, or an error reply such as MOVED
                return
            }
            switch kind {
            case "smessage" where parts.count == 3:
                if case .bulkString(let payload) = parts[2] { output.yield(ShardedMessage(channel: channel, payload: payload)) }
            case "ssubscribe":
                input.yield(.confirmed)
            case "sunsubscribe":
                input.yield(.ended)
            default:
                break
            }
        }
        let timeout = Duration.milliseconds(configuration.commandTimeoutMilliseconds)
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            input.yield(.timedOut)
        }
        defer { watchdog.cancel() }
        var iterator = events.makeAsyncIterator()
        do {
            try await connection.write(RedisCommand(["SSUBSCRIBE", channel], keys: [channel]))
        } catch {
            connection.close()
            throw error
        }
        switch await iterator.next() {
        case .confirmed?:
            return (connection, iterator)
        case .timedOut?:
            connection.close()
            throw RedisError(kind: .timeout, message: "\(owner) did not confirm SSUBSCRIBE \(channel) in time")
        case .ended?, nil:
            connection.close()
            throw RedisError(kind: .connection, message: "SSUBSCRIBE \(channel) on \(owner) was not confirmed")
        }
    }
}
