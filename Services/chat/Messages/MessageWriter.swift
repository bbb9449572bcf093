import ChatEvents
import Foundation
import Kafka
import Logging
import ServiceKit
import ServiceLifecycle
import Synchronization

/// A message a member wants stored.
struct NewMessage: Sendable {
    let conversationId: String
    let senderId: String
    let clientMessageId: String
    let body: String
    let attachments: [AttachmentView]
    let replyToSeq: Int64?
    /// Every other member, for the event.
    let recipientIds: [String]
    let mentionedUserIds: [String]

    var dedupeKey: String { "\(conversationId)|\(senderId)|\(clientMessageId)" }
}

/// What storing a message did.
enum StoredMessage: Sendable {
    /// A new message, durable in DocumentDB and acknowledged by Kafka.
    case created(MessageView)
    /// The sender had already stored this `clientMessageId`: the original.
    case existing(MessageView)

    /// The message, new or original.
    var view: MessageView {
        switch self { case .created(let view), .existing(let view): view }
    }
}

/// Stores messages in batches: the hot path of the product.
///
/// Senders queue their message and wait. One loop takes everything queued (group commit: the longer a batch
/// takes, the more the next one carries), allocates seqs with one Redis round trip per batch, inserts the batch
/// into DocumentDB with one `insertMany` and hands every message to Kafka (`acks=all`) in seq order. Then the loop
/// goes on with the next batch while the batch's completion waits for Kafka's acknowledgements, records the
/// conversations' last seq in PostgreSQL with one statement meanwhile, and answers every sender (at most
/// ``maximumBatchesCompleting`` batches at a time). A sender's answer therefore means: in history (DocumentDB) and
/// on the bus that delivers it to every member (Kafka). Batches are inserted and enqueued one at a time, so one
/// instance publishes a conversation's messages in seq order. The queue is bounded: when it is full the sender
/// gets 503 at once instead of waiting without limit.
final class MessageWriter: Service, Sendable {
    struct Pending: Sendable {
        let message: NewMessage
        let reply: WriteTicket
    }

    static let capacity = 20_000
    static let maxBatch = 2_000
    /// Batches waiting for Kafka's acknowledgements while the next ones are stored.
    static let maximumBatchesCompleting = 4
    /// What waits to be stored; closed once the writer stopped, so that nothing queued later waits forever.
    private let queue = Mutex<(pending: [Pending], closed: Bool)>(([], false))
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>
    private let store: MessageStore
    private let sequences: SequenceAllocator
    private let conversations: ConversationStore
    private let producer: KafkaProducer
    private let logger: Logger

    init(store: MessageStore, sequences: SequenceAllocator, conversations: ConversationStore, producer: KafkaProducer, logger: Logger) {
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.store = store
        self.sequences = sequences
        self.conversations = conversations
        self.producer = producer
        self.logger = logger
    }

    /// Stores `message` (or finds the original of a retried one) and returns it once durable and published.
    func write(_ message: NewMessage) async throws -> StoredMessage {
        try await enqueue(message).value()
    }

    /// Queues `message` behind everything queued before it; the ticket answers once it is durable and published
    /// (or at once with 503 when the queue is full).
    func enqueue(_ message: NewMessage) -> WriteTicket {
        let ticket = WriteTicket()
        let refusal: APIError? = queue.withLock { queue in
            if queue.closed { return APIError.unavailable("chat is shutting down; retry") }
            guard queue.pending.count < Self.capacity else { return APIError.unavailable("chat is overloaded; retry shortly") }
            queue.pending.append(Pending(message: message, reply: ticket))
            return nil
        }
        if let refusal { ticket.answer(.failure(refusal)) } else { wake.yield() }
        return ticket
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { completions in
                var unfinished = 0
                for await _ in self.wakes {
                    while true {
                        let batch = self.queue.withLock { queue in
                            let taken = Array(queue.pending.prefix(Self.maxBatch))
                            queue.pending.removeFirst(taken.count)
                            return taken
                        }
                        if batch.isEmpty { break }
                        guard let completion = await self.process(batch) else { continue }
                        if unfinished == Self.maximumBatchesCompleting {
                            await completions.next()
                            unfinished -= 1
                        }
                        completions.addTask(operation: completion)
                        unfinished += 1
                    }
                }
            }
        }
        // Shutting down: nobody will process what is still queued.
        let abandoned = queue.withLock { queue in
            defer { queue = ([], true) }
            return queue.pending
        }
        for pending in abandoned {
            pending.reply.answer(.failure(APIError.unavailable("chat is shutting down; retry")))
        }
    }

    /// Stores `batch` and enqueues its events; returns the work that awaits their acknowledgement and answers the
    /// senders, or nil when the batch failed (its senders are answered with 503).
    private func process(_ batch: [Pending]) async -> (@Sendable () async -> Void)? {
        let (firsts, followers) = WriteBatch.splitRetries(batch)
        let results: [StoredMessage]
        let deliveries: KafkaDeliveries
        do {
            let now = Date().milliseconds
            let stored = try await store(firsts.map(\.message), at: now)
            results = stored.results
            deliveries = producer.enqueue(try Self.events(
                zip(firsts.map(\.message), results), watermarks: stored.watermarks, createdAt: Date(milliseconds: now)))
        } catch {
            fail(batch, error)
            return nil
        }
        return { [firsts, followers, conversations, sequences, logger] in
            let created = results.compactMap { result -> MessageView? in if case .created(let view) = result { view } else { nil } }
            async let recorded: Void = {
                guard !created.isEmpty else { return }
                do { try await conversations.recordStored(created) } catch {
                    logger.warning("could not record the last seq", metadata: ["error": "\(error)"])
                }
            }()
            do {
                _ = try await deliveries.reports()
                async let published: Void = {
                    do { try await sequences.recordPublished(Self.latestSeqs(results)) } catch {
                        logger.warning("could not record the published watermark", metadata: ["error": "\(error)"])
                    }
                }()
                await recorded
                for (pending, result) in zip(firsts, results) {
                    pending.reply.answer(.success(result))
                    for follower in followers[pending.message.dedupeKey] ?? [] {
                        if case .created(let view) = result { follower.reply.answer(.success(.existing(view))) } else { follower.reply.answer(.success(result)) }
                    }
                }
                await published
            } catch {
                await recorded
                self.fail(batch, error)
            }
        }
    }

    private func fail(_ batch: [Pending], _ error: any Error) {
        logger.error("storing a batch failed", metadata: ["error": "\(error)", "messages": "\(batch.count)"])
        let failure = APIError.unavailable("the message could not be stored; retry with the same clientMessageId")
        for pending in batch { pending.reply.answer(.failure(failure)) }
    }

    /// The highest seq of each conversation among `results`.
    static func latestSeqs(_ results: [StoredMessage]) -> [(conversationId: String, seq: Int64)] {
        var latest: [String: Int64] = [:]
        for result in results {
            let view = result.view
            latest[view.conversationId] = max(latest[view.conversationId] ?? 0, view.seq)
        }
        return latest.map { ($0.key, $0.value) }
    }

    /// Stores `messages` (distinct dedupe keys), in order, created at `now` (milliseconds since 1970); returns the
    /// results and each conversation's published watermark at allocation.
    private func store(_ messages: [NewMessage], at now: Int64) async throws -> (results: [StoredMessage], watermarks: [String: Int64]) {
        let allocations = try await sequences.allocate(WriteBatch.seqCounts(messages))
        let watermarks = allocations.mapValues(\.watermark)
        let documents = try WriteBatch.documents(messages, seqs: allocations.mapValues(\.seqs), createdAtMs: now)
        if try await store.insert(documents) { return (documents.map { .created($0.view) }, watermarks) }
        // Some hit a unique index: a retried clientMessageId, or a seq the counter handed out twice.
        var results: [StoredMessage] = []
        for (message, document) in zip(messages, documents) {
            results.append(try await storeSlowly(message, document))
        }
        return (results, watermarks)
    }

    /// One message after a batch insert failed: the original if it exists, else insert with a fresh seq.
    private func storeSlowly(_ message: NewMessage, _ document: MessageDocument) async throws -> StoredMessage {
        var document = document
        for _ in 0..<5 {
            if let original = try await store.message(message.conversationId, sender: message.senderId, clientMessageId: message.clientMessageId) {
                return original._id == document._id && original.createdAtMs == document.createdAtMs ? .created(original.view) : .existing(original.view)
            }
            if try await store.message(message.conversationId, seq: document.seq) == nil, try await store.insertOne(document) {
                return .created(document.view)
            }
            // The seq is taken: the counter lost state (Redis failover). Move it past what is stored and retry.
            let stored = try await store.maxSeq(message.conversationId)
            try await sequences.reseed(message.conversationId, atLeast: stored)
            guard let seq = try await sequences.allocate([(message.conversationId, 1)])[message.conversationId]?.seqs.lowerBound else {
                throw APIError.unavailable("the message could not be given a seq")
            }
            logger.warning("seq collision, reseeded", metadata: ["conversation": "\(message.conversationId)", "stored": "\(stored)", "seq": "\(seq)"])
            document.seq = seq
            document._id = "\(message.conversationId):\(seq)"
        }
        throw APIError.unavailable("the message could not be given a seq")
    }

    /// A `message.created` record for every result, in seq order (originals again too: a retry may follow a
    /// failed publish; consumers drop duplicates by seq), each with the ready `message` frame for chat's fan-out.
    private static func events(
        _ items: some Sequence<(NewMessage, StoredMessage)>, watermarks: [String: Int64], createdAt: Date
    ) throws -> [KafkaOutgoingRecord] {
        let ordered = items.map { message, result in (message, result.view) }.sorted { $0.1.seq < $1.1.seq }
        return try ordered.compactMap { message, view -> KafkaOutgoingRecord? in
            guard let conversation = UUID(uuidString: view.conversationId), let sender = UUID(uuidString: view.senderId) else { return nil }
            var record = try EventEnvelope(MessageCreated(
                conversationId: conversation, messageId: view.id, seq: view.seq, senderId: sender,
                clientMessageId: view.clientMessageId, body: view.body, attachmentIds: view.attachments.map(\.id),
                attachments: view.attachments,
                replyToSeq: view.replyToSeq, createdAt: createdAt, recipientIds: message.recipientIds.compactMap(UUID.init(uuidString:)),
                mentionedUserIds: message.mentionedUserIds.compactMap(UUID.init(uuidString:)))).record()
            record.headers += try FanoutDelivery(
                message: view, recipientIds: message.recipientIds, watermark: watermarks[view.conversationId] ?? 0).headers
            return record
        }
    }
}

/// The pure steps of storing one batch, apart from the I/O around them.
enum WriteBatch {
    /// The batch split into the first message of each dedupe key, in queue order, and the later copies of a key (a
    /// retry queued while its original is in the same batch), which get the first's answer.
    static func splitRetries(_ batch: [MessageWriter.Pending]) -> (firsts: [MessageWriter.Pending], followers: [String: [MessageWriter.Pending]]) {
        var firsts: [MessageWriter.Pending] = []
        var followers: [String: [MessageWriter.Pending]] = [:]
        var seen: Set<String> = []
        for pending in batch {
            if seen.insert(pending.message.dedupeKey).inserted {
                firsts.append(pending)
            } else {
                followers[pending.message.dedupeKey, default: []].append(pending)
            }
        }
        return (firsts, followers)
    }

    /// How many seqs each conversation of `messages` needs, in the order conversations first appear.
    static func seqCounts(_ messages: [NewMessage]) -> [(conversationId: String, count: Int)] {
        var counts: [(conversationId: String, count: Int)] = []
        var index: [String: Int] = [:]
        for message in messages {
            if let position = index[message.conversationId] {
                counts[position].count += 1
            } else {
                index[message.conversationId] = counts.count
                counts.append((message.conversationId, 1))
            }
        }
        return counts
    }

    /// The documents of `messages`: each conversation's messages take its allocated `seqs` in queue order.
    static func documents(_ messages: [NewMessage], seqs: [String: ClosedRange<Int64>], createdAtMs: Int64) throws -> [MessageDocument] {
        var next = seqs.mapValues(\.lowerBound)
        return try messages.map { message in
            guard let seq = next[message.conversationId], seq <= seqs[message.conversationId]?.upperBound ?? 0 else {
                throw APIError.unavailable("no seq was allocated for conversation \(message.conversationId)")
            }
            next[message.conversationId] = seq + 1
            return MessageDocument(
                _id: "\(message.conversationId):\(seq)", conversationId: message.conversationId, seq: seq,
                senderId: message.senderId, clientMessageId: message.clientMessageId, body: message.body,
                attachments: message.attachments, replyToSeq: message.replyToSeq, createdAtMs: createdAtMs, editedAtMs: nil,
                deleted: false, reactions: [])
        }
    }
}
