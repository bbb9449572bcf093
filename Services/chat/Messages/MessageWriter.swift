import ChatEvents
import Foundation
import Kafka
import Logging
import ServiceKit
import ServiceLifecycle
import Synchronization
import Tracing

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
    /// The trace of this send (nil when tracing is off): a REST send continues its request's.
    var trace: MessageTrace? = MessageTrace.start()

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
        switch self {
        case .created(let view), .existing(let view): view
        }
    }
}

/// Stores messages in batches: the hot path of the product.
///
/// Senders queue their message and wait. One loop takes everything queued (group commit: the longer a batch
/// takes, the more the next one carries), allocates seqs with one Redis round trip per batch, inserts the batch
/// into DocumentDB with one `insertMany` and hands every message to Kafka (`acks=all`) in seq order. Then the loop
/// goes on with the next batch while the batch's completion waits for Kafka's acknowledgements, puts the new
/// messages on this instance's sockets (``LocalFanout``; other instances get them from Kafka) and answers every
/// sender (at most ``maximumBatchesCompleting`` batches at a time), then hands the new messages to the
/// ``StoredMessageRecorder``, which records the conversations' last message and the senders' read marks in
/// PostgreSQL: the answers do not wait for PostgreSQL, which is no part of a message's durability. A sender's answer
/// therefore means: in history (DocumentDB) and on the bus that delivers it to every member (Kafka). Batches are
/// inserted and enqueued one at a time, so one instance publishes a conversation's messages in seq order. The queue
/// is bounded: when it is full the sender gets 503 at once instead of waiting without limit.
///
/// A batch costs about the same whatever it carries (a seq round trip, an insert, a produce request, a write to each
/// socket it reaches), so while messages keep coming a batch starts no sooner than ``linger`` after the one before
/// (`CHAT_WRITER_LINGER_MS`); a message that finds the writer idle for longer than that goes at once.
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
    private let recorder: StoredMessageRecorder
    private let producer: KafkaProducer
    private let fanout: LocalFanout
    /// While messages keep coming, the shortest time between the starts of two batches.
    private let linger: Duration
    private let logger: Logger

    init(
        store: MessageStore, sequences: SequenceAllocator, recorder: StoredMessageRecorder, producer: KafkaProducer, fanout: LocalFanout,
        linger: Duration, logger: Logger
    ) {
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.store = store
        self.sequences = sequences
        self.recorder = recorder
        self.producer = producer
        self.fanout = fanout
        self.linger = linger
        self.logger = logger
    }

    /// Stores `message` (or finds the original of a retried one) and returns it once durable and published.
    func write(_ message: NewMessage) async throws -> StoredMessage {
        try await enqueue(message).value()
    }

    /// Queues `message` behind everything queued before it; the ticket answers once it is durable and published
    /// (or at once with 503 when the queue is full).
    func enqueue(_ message: NewMessage) -> WriteTicket {
        let ticket = WriteTicket(trace: message.trace)
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
                var lastBatchStarted = ContinuousClock.now - self.linger
                for await _ in self.wakes {
                    while !self.queue.withLock({ $0.pending.isEmpty }) {
                        // Messages keep coming: the batch waits out the rest of the linger, to carry more of them.
                        let due = lastBatchStarted + self.linger
                        if ContinuousClock.now < due { try? await Task.sleep(until: due) }
                        lastBatchStarted = .now
                        let batch = self.queue.withLock { queue in
                            let taken = Array(queue.pending.prefix(Self.maxBatch))
                            queue.pending.removeFirst(taken.count)
                            return taken
                        }
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
    /// senders, or nil when the batch failed (its senders are answered with 503). A record Kafka refuses (say, one
    /// too large) fails its own message, not the others of the batch.
    private func process(_ batch: [Pending]) async -> (@Sendable () async -> Void)? {
        let (firsts, followers) = WriteBatch.splitRetries(batch)
        let results: [StoredMessage]
        let events: [Event]
        let deliveries: KafkaDeliveries
        let allocated: [String: ClosedRange<Int64>]
        let trace = BatchTrace(firsts.lazy.compactMap(\.message.trace), size: batch.count)
        ChatMetrics.batchSize.record(batch.count)
        let kafkaAck: (span: (any Span)?, started: DefaultTracerClock.Instant)
        do {
            let now = Date().milliseconds
            let stored = try await store(firsts.map(\.message), at: now, trace: trace)
            results = stored.results
            allocated = stored.allocated
            events = Self.events(
                Array(zip(firsts.map(\.message), results)), watermarks: stored.watermarks, createdAt: now, origin: fanout.originHeader)
            kafkaAck = WriteStage.kafkaAck.start(trace)
            deliveries = producer.enqueue(events.map(\.record))
        } catch {
            trace?.end(failing: error)
            fail(batch, error)
            return nil
        }
        return { [firsts, followers, recorder, sequences, fanout, logger] in
            defer { trace?.end() }
            var refused: [Int: KafkaError] = [:]
            for (event, outcome) in zip(events, await deliveries.outcomes()) {
                if case .failure(let error) = outcome { refused[event.index] = error }
            }
            WriteStage.kafkaAck.finish(kafkaAck.span, started: kafkaAck.started, error: refused.values.first)
            ChatMetrics.messagesWritten.increment(by: WriteBatch.written(results, refused: Set(refused.keys)))
            let settled = WriteBatch.publishedRanges(results, refused: Set(refused.keys), allocated: allocated)
            if !refused.isEmpty {
                logger.error(
                    "Kafka refused messages", metadata: ["messages": "\(refused.count)", "error": "\(refused.values.first.map { "\($0)" } ?? "")"])
            }
            // The acks and this instance's deliveries of the batch wake each event loop once.
            var drains = OutboxDrains()
            for (index, (pending, result)) in zip(firsts, results).enumerated() {
                let answer: WriteTicket.Outcome =
                    refused[index] == nil
                    ? .success(result)
                    : .failure(APIError.unavailable("the message could not be published; retry with the same clientMessageId"))
                pending.reply.answer(answer, drains: &drains)
                for follower in followers[pending.message.dedupeKey] ?? [] {
                    if case .success(.created(let view)) = answer {
                        follower.reply.answer(.success(.existing(view)), drains: &drains)
                    } else {
                        follower.reply.answer(answer, drains: &drains)
                    }
                }
            }
            // This instance's sockets get the new messages after the senders' acks and before the watermark moves past
            // them (see LocalFanout).
            fanout.deliver(events.filter { refused[$0.index] == nil }.map { ($0.delivery, $0.conversationId) }, drains: &drains)
            drains.schedule()
            // The conversations' last message and the senders' read marks follow the answers: they are not part
            // of durability, and a sender need not wait for them.
            recorder.submit(
                results.indices.compactMap { index in
                    guard refused[index] == nil, case .created(let view) = results[index] else { return nil }
                    return view
                }, trace: trace)
            do { try await sequences.recordPublished(settled) } catch {
                logger.warning("could not record the published watermark", metadata: ["error": "\(error)"])
            }
        }
    }

    private func fail(_ batch: [Pending], _ error: any Error) {
        logger.error("storing a batch failed", metadata: ["error": "\(error)", "messages": "\(batch.count)"])
        let failure = APIError.unavailable("the message could not be stored; retry with the same clientMessageId")
        for pending in batch { pending.reply.answer(.failure(failure)) }
    }

    /// Stores `messages` (distinct dedupe keys), in order, created at `now` (milliseconds since 1970); returns the
    /// results and each conversation's published watermark at allocation.
    private func store(
        _ messages: [NewMessage], at now: Int64, trace: BatchTrace?
    ) async throws -> (results: [StoredMessage], watermarks: [String: Int64], allocated: [String: ClosedRange<Int64>]) {
        let allocations = try await WriteStage.seqAllocation.measure(trace) { try await sequences.allocate(WriteBatch.seqCounts(messages)) }
        let watermarks = allocations.mapValues(\.watermark)
        let documents = try WriteBatch.documents(messages, seqs: allocations.mapValues(\.seqs), createdAtMs: now)
        let refused = try await WriteStage.documentInsert.measure(trace) { try await store.insert(documents) }
        // Those a unique index refused (a retried clientMessageId, or a seq the counter handed out twice) take the
        // slow path, one at a time; the rest of the batch is stored.
        var results: [StoredMessage] = []
        for (index, (message, document)) in zip(messages, documents).enumerated() {
            results.append(refused.contains(index) ? try await storeSlowly(message, document) : .created(document.view))
        }
        return (results, watermarks, allocations.mapValues(\.seqs))
    }

    /// One message after a batch insert failed: the original if it exists, else insert with a fresh seq.
    private func storeSlowly(_ message: NewMessage, _ document: MessageDocument) async throws -> StoredMessage {
        var document = document
        for _ in 0..<5 {
            if let original = try await store.message(message.conversationId, sender: message.senderId, clientMessageId: message.clientMessageId) {
                return original._id == document._id && original.createdAtMs == document.createdAtMs
                    ? .created(original.view) : .existing(original.view)
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
            logger.warning(
                "seq collision, reseeded", metadata: ["conversation": "\(message.conversationId)", "stored": "\(stored)", "seq": "\(seq)"])
            document.seq = seq
            document._id = "\(message.conversationId):\(seq)"
        }
        throw APIError.unavailable("the message could not be given a seq")
    }

    /// A message's `message.created` record and what this instance delivers of it.
    struct Event: Sendable {
        /// The index of its message in the batch.
        let index: Int
        let record: KafkaOutgoingRecord
        let conversationId: String
        let delivery: FanoutDelivery
    }

    /// A `message.created` record for every result, in seq order (originals again too: a retry may follow a
    /// failed publish; consumers drop duplicates by seq), each with the ready `message` frame for chat's fan-out and
    /// this instance's `origin`, created at `createdAt` (milliseconds since 1970).
    private static func events(
        _ items: [(NewMessage, StoredMessage)], watermarks: [String: Int64], createdAt: Int64, origin: (name: String, value: [UInt8])
    ) -> [Event] {
        let ordered = items.enumerated().map { index, item in (index, item.0, item.1.view) }.sorted { $0.2.seq < $1.2.seq }
        return ordered.map { index, message, view in
            var record = MessageCreated.record(
                occurredAt: Date(milliseconds: createdAt), conversationId: view.conversationId, messageId: view.id, seq: view.seq,
                senderId: view.senderId, clientMessageId: view.clientMessageId, body: view.body, attachments: view.attachments,
                replyToSeq: view.replyToSeq, createdAt: Date(milliseconds: createdAt), recipientIds: message.recipientIds,
                mentionedUserIds: message.mentionedUserIds)
            if let trace = message.trace { record.headers.append(trace.header) }
            var delivery = FanoutDelivery(
                message: view, recipientIds: message.recipientIds, watermark: watermarks[view.conversationId] ?? 0)
            record.headers += delivery.headers + [origin]
            delivery.origin = FanoutObservation.Origin(producedAtMilliseconds: createdAt, traceparent: message.trace?.header.value)
            return Event(index: index, record: record, conversationId: view.conversationId, delivery: delivery)
        }
    }
}

/// The pure steps of storing one batch, apart from the I/O around them.
enum WriteBatch {
    /// Each conversation's seqs of this batch that are settled once Kafka acknowledged the batch: from the first seq
    /// allocated to the conversation up to its last, or to just below the first message Kafka refused (which holds the
    /// conversation's watermark below itself). Allocated seqs that no new message took (a retry that found its
    /// original) are settled too: no record will ever carry them.
    static func publishedRanges(
        _ results: [StoredMessage], refused: Set<Int>, allocated: [String: ClosedRange<Int64>]
    ) -> [(conversationId: String, seqs: ClosedRange<Int64>)] {
        var lowestRefused: [String: Int64] = [:]
        for index in refused where results.indices.contains(index) {
            let view = results[index].view
            lowestRefused[view.conversationId] = min(lowestRefused[view.conversationId] ?? .max, view.seq)
        }
        return allocated.compactMap { conversationId, seqs in
            let last = min(seqs.upperBound, (lowestRefused[conversationId] ?? .max) - 1)
            return last >= seqs.lowerBound ? (conversationId, seqs.lowerBound...last) : nil
        }.sorted { $0.conversationId < $1.conversationId }
    }

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
