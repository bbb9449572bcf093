/// Puts each conversation's messages back in `seq` order before they reach WebSockets.
///
/// One instance publishes a conversation's messages in seq order, but two instances writing to the same
/// conversation at once can publish seq 54 before seq 14…53. A message whose predecessor has not arrived yet is held
/// until it does, or until its wait is over (the predecessor may never come: its write failed after its seq was
/// allocated); then the held messages go out in order and the gap is given up. A message older than what was already
/// delivered (a predecessor later than its wait) still goes out at once: late, but never lost. A seq delivered
/// recently is dropped as a duplicate (a publish retried after a failure).
///
/// How long to wait depends on what the record says. The writer stamps each message with the conversation's
/// *published watermark* when its seq was allocated: every seq at or below it had already been acknowledged by Kafka,
/// so it sits earlier in the partition than this record. Seqs at or below the watermark that were not seen by now
/// never will be (their write failed): such gaps are given up at once. Seqs between the watermark and this one were
/// allocated and still being written: the message waits for them up to ``inFlightHold``. A record without a watermark
/// (another producer) waits ``holdLimit`` for a predecessor, or, in a conversation seen for the first time,
/// ``firstSeenHold`` for lower seqs that may be on their way.
///
/// This instance's own messages come from its writer as soon as Kafka acknowledged them
/// (``acceptOwn(_:conversation:seq:now:)``), before the consumer reads them back. Their predecessors may be another
/// instance's records that the consumer has not read yet, even those at or below the watermark, so a gap before an own
/// message waits: until the consumer reaches the message's record (``ownRecordConsumed(conversation:seq:watermark:now:)``),
/// which puts every seq up to the watermark behind it, and up to ``inFlightHold`` for the seqs still being written.
/// Giving such a gap up early would deliver the message ahead of a predecessor that is only slow: a client whose socket
/// ends before the predecessor arrives asks `sync` for what follows the newer seq, and never gets it.
struct SequenceReorderer<Item> {
    /// How long a message without a watermark may wait for its predecessor.
    let holdLimit: Duration
    /// How long a message waits for predecessors its watermark says are being written.
    let inFlightHold: Duration
    /// How long the first message without a watermark of a conversation seen for the first time waits for lower seqs.
    let firstSeenHold: Duration
    /// How long a conversation without traffic is remembered.
    let idleLimit: Duration
    /// The most messages held for one conversation; beyond it the oldest gap is given up at once.
    let maximumHeld: Int

    private struct Held {
        let item: Item
        let since: ContinuousClock.Instant
        /// Its record's watermark says the predecessors are being written.
        let predecessorsInFlight: Bool
    }

    private struct Conversation {
        /// Nil until the conversation's order is known.
        var lastDelivered: Int64?
        /// Seqs delivered lately (at most ``recentWindow`` below `lastDelivered`), to recognise duplicates.
        var recent: Set<Int64> = []
        var held: [Int64: Held] = [:]
        var lastActivity: ContinuousClock.Instant
    }

    private static var recentWindow: Int64 { 128 }
    private var conversations: [String: Conversation] = [:]
    /// The conversations that hold messages, so that ``release(now:)`` need not visit the others.
    private var waiting: Set<String> = []
    private var lastPruned: ContinuousClock.Instant

    init(
        holdLimit: Duration = .milliseconds(250), inFlightHold: Duration = .seconds(2),
        firstSeenHold: Duration = .milliseconds(100), idleLimit: Duration = .seconds(600), maximumHeld: Int = 1000,
        now: ContinuousClock.Instant = .now
    ) {
        self.holdLimit = holdLimit
        self.inFlightHold = inFlightHold
        self.firstSeenHold = firstSeenHold
        self.idleLimit = idleLimit
        self.maximumHeld = maximumHeld
        self.lastPruned = now
    }

    /// Takes `item` (message `seq` of `conversation`, written when every seq up to `watermark` was published, if
    /// known), read from Kafka, and returns what may be delivered now, in order.
    mutating func accept(
        _ item: Item, conversation id: String, seq: Int64, watermark: Int64? = nil, now: ContinuousClock.Instant
    ) -> [Item] {
        // A counter reset by a Redis failover can hand out seqs below an old watermark: then it says nothing.
        let watermark = watermark.flatMap { $0 < seq ? $0 : nil }
        return take(item, conversation: id, seq: seq, givingUpThrough: watermark, predecessorsInFlight: watermark != nil, now: now)
    }

    /// Takes `item`, message `seq` of `conversation` that this instance wrote, as soon as Kafka acknowledged it, and
    /// returns what may be delivered now, in order. A gap before it waits for the predecessors (or for
    /// ``ownRecordConsumed(conversation:seq:watermark:now:)``) up to ``inFlightHold``.
    mutating func acceptOwn(_ item: Item, conversation id: String, seq: Int64, now: ContinuousClock.Instant) -> [Item] {
        take(item, conversation: id, seq: seq, givingUpThrough: nil, predecessorsInFlight: true, now: now)
    }

    /// Delivers `item` now if its predecessor was delivered (after giving up the gaps through `settled`), else holds it.
    private mutating func take(
        _ item: Item, conversation id: String, seq: Int64, givingUpThrough settled: Int64?, predecessorsInFlight: Bool,
        now: ContinuousClock.Instant
    ) -> [Item] {
        var conversation = conversations[id] ?? Conversation(lastActivity: now)
        conversation.lastActivity = now
        defer {
            conversations[id] = conversation
            if conversation.held.isEmpty { waiting.remove(id) } else { waiting.insert(id) }
        }
        if conversation.recent.contains(seq) || conversation.held[seq] != nil { return [] }
        var ready: [Item] = []
        if let settled { Self.giveUpGaps(through: settled, in: &conversation, into: &ready) }
        // Nothing comes before seq 1.
        if conversation.lastDelivered == nil, seq == 1 { conversation.lastDelivered = 0 }
        if let last = conversation.lastDelivered, seq <= last + 1 {
            ready.append(item)
            if seq <= last {
                conversation.recent.insert(seq)
            } else {
                Self.deliver(seq, in: &conversation)
                Self.drain(&conversation, into: &ready)
            }
            return ready
        }
        conversation.held[seq] = Held(item: item, since: now, predecessorsInFlight: predecessorsInFlight)
        if conversation.held.count > maximumHeld { Self.giveUpGap(&conversation, into: &ready) }
        return ready
    }

    /// The consumer read this instance's own record of message `seq` of `conversation`, written when every seq up to
    /// `watermark` was published: those records sit before it in the partition, so what was not read by now never
    /// will be. Gives up the gaps up to the watermark and returns what may be delivered now, in order.
    mutating func ownRecordConsumed(
        conversation id: String, seq: Int64, watermark: Int64, now: ContinuousClock.Instant
    ) -> [Item] {
        // A watermark at or above the seq (a counter reset by a failover) says nothing.
        guard watermark < seq else { return [] }
        // Also when the record is read before the writer's delivery of it: that one then need not wait.
        var conversation = conversations[id] ?? Conversation(lastActivity: now)
        var ready: [Item] = []
        Self.giveUpGaps(through: watermark, in: &conversation, into: &ready)
        conversations[id] = conversation
        if conversation.held.isEmpty { waiting.remove(id) }
        return ready
    }

    /// Returns the held messages whose wait is over (and those in order behind them), and forgets idle conversations.
    mutating func release(now: ContinuousClock.Instant) -> [Item] {
        var ready: [Item] = []
        for id in waiting {
            guard var conversation = conversations[id] else { continue }
            while let first = conversation.held.keys.min(), let held = conversation.held[first] {
                let wait = held.predecessorsInFlight ? inFlightHold : (conversation.lastDelivered == nil ? firstSeenHold : holdLimit)
                guard held.since + wait <= now else { break }
                Self.giveUpGap(&conversation, into: &ready)
            }
            conversations[id] = conversation
            if conversation.held.isEmpty { waiting.remove(id) }
        }
        if now - lastPruned >= idleLimit {
            lastPruned = now
            conversations = conversations.filter { !$0.value.held.isEmpty || now - $0.value.lastActivity < idleLimit }
        }
        return ready
    }

    /// The number of conversations remembered.
    var conversationCount: Int { conversations.count }

    /// Every seq up to `watermark` was published before the record at hand: what was not seen by now never will be.
    /// Delivers the held messages up to it in order and continues after it.
    private static func giveUpGaps(through watermark: Int64, in conversation: inout Conversation, into ready: inout [Item]) {
        while let first = conversation.held.keys.min(), first <= watermark { giveUpGap(&conversation, into: &ready) }
        if (conversation.lastDelivered ?? -1) < watermark {
            conversation.lastDelivered = watermark
            drain(&conversation, into: &ready)
        }
    }

    /// Delivers the lowest held message as if its gap were filled, then what follows it in order.
    private static func giveUpGap(_ conversation: inout Conversation, into ready: inout [Item]) {
        guard let first = conversation.held.keys.min(), let held = conversation.held.removeValue(forKey: first) else { return }
        ready.append(held.item)
        deliver(first, in: &conversation)
        drain(&conversation, into: &ready)
    }

    private static func drain(_ conversation: inout Conversation, into ready: inout [Item]) {
        while let last = conversation.lastDelivered, let next = conversation.held.removeValue(forKey: last + 1) {
            ready.append(next.item)
            deliver(last + 1, in: &conversation)
        }
    }

    private static func deliver(_ seq: Int64, in conversation: inout Conversation) {
        conversation.lastDelivered = seq
        conversation.recent.insert(seq)
        if conversation.recent.count > 2 * Int(recentWindow) {
            let floor = seq - recentWindow
            conversation.recent = conversation.recent.filter { $0 > floor }
        }
    }
}
