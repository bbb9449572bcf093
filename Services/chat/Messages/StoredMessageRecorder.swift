import Logging
import ServiceLifecycle
import Synchronization

/// Records stored messages in PostgreSQL (each conversation's last message, the senders' read marks) in rounds at
/// least ``minimumInterval`` apart, one transaction at a time: whatever the writer's batches hand over meanwhile is
/// merged into the next round. PostgreSQL sees at most 20 transactions a second from an instance however many
/// batches it stores (about 90 a second at 1,000 messages/s), and no batch waits for it: the records are
/// bookkeeping, not durability, and lag the answers by at most the interval plus a transaction. A round that fails
/// is merged back and retried with the next (up to ``maximumAttempts`` rounds in a row); on shutdown the last round is written before the service returns.
final class StoredMessageRecorder: Service, Sendable {
    static let minimumInterval: Duration = .milliseconds(50)
    /// Rounds in a row a failing record is tried in before it is dropped.
    static let maximumAttempts = 5

    private struct Round {
        /// The latest message of each sender in each conversation: enough for both the conversations' last
        /// message (the latest of any sender) and the read marks. Bounded by the pairs that sent lately.
        var latest: [String: MessageView] = [:]
        /// The first batch's trace: the round's span is its child.
        var trace: BatchTrace?

        mutating func merge(_ messages: some Sequence<MessageView>) {
            for message in messages {
                let key = "\(message.conversationId)|\(message.senderId)"
                if (latest[key]?.seq ?? 0) < message.seq { latest[key] = message }
            }
        }
    }

    private let conversations: ConversationStore
    private let logger: Logger
    private let next = Mutex(Round())
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>

    init(conversations: ConversationStore, logger: Logger) {
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.conversations = conversations
        self.logger = logger
    }

    /// Hands `messages` of the batch traced by `trace` to the next round; returns at once.
    func submit(_ messages: [MessageView], trace: BatchTrace?) {
        guard !messages.isEmpty else { return }
        next.withLock { round in
            round.merge(messages)
            if round.trace == nil { round.trace = trace }
        }
        wake.yield()
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var failures = 0
            for await _ in self.wakes {
                let started = ContinuousClock.now
                await self.writeRound(failures: &failures)
                try? await Task.sleep(until: started + Self.minimumInterval)
            }
        }
        wake.finish()
        // One last attempt for what the writer handed over before it stopped.
        var failures = 0
        await writeRound(failures: &failures)
    }

    /// Writes what waits, if anything; on failure keeps it for the next round, at most ``maximumAttempts`` times
    /// in a row (`failures` counts them: a round PostgreSQL keeps refusing is dropped rather than blocking every
    /// later one).
    private func writeRound(failures: inout Int) async {
        let round = next.withLock { round in
            defer { round = Round() }
            return round
        }
        guard !round.latest.isEmpty else { return }
        do {
            try await WriteStage.postgresUpdate.measure(round.trace) { try await conversations.recordStored(Array(round.latest.values)) }
            failures = 0
        } catch {
            failures += 1
            guard failures < Self.maximumAttempts else {
                logger.error(
                    "could not record the last messages; dropped", metadata: ["error": "\(error)", "pairs": "\(round.latest.count)"])
                failures = 0
                return
            }
            logger.warning("could not record the last messages; retrying with the next round", metadata: ["error": "\(error)"])
            next.withLock { $0.merge(round.latest.values) }
            wake.yield()
        }
    }
}
