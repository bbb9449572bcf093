/// Puts each conversation's messages back in `seq` order before they reach WebSockets.
///
/// One instance publishes a conversation's messages in seq order, but two instances writing to the same
/// conversation at once can publish seq 11 before seq 10. A message whose predecessor has not arrived yet is held
/// until it does, or for at most ``holdLimit`` (the predecessor may never come: its write failed after its seq was
/// allocated); then the held messages go out in order and the gap is given up. A message older than what was already
/// delivered (a predecessor later than ``holdLimit``) still goes out at once: late, but never lost. A seq delivered
/// recently is dropped as a duplicate (a publish retried after a failure).
///
/// A conversation seen for the first time (a new instance, or after ``idleLimit`` without traffic) has no known
/// predecessor: seq 1 goes out at once, a higher seq waits ``firstSeenHold`` for lower ones that may be on their way.
struct SequenceReorderer<Item> {
    /// How long a message may wait for its predecessor.
    let holdLimit: Duration
    /// How long the first message of a conversation seen for the first time waits for lower seqs.
    let firstSeenHold: Duration
    /// How long a conversation without traffic is remembered.
    let idleLimit: Duration
    /// The most messages held for one conversation; beyond it the oldest gap is given up at once.
    let maximumHeld: Int

    private struct Held {
        let item: Item
        let since: ContinuousClock.Instant
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

    init(holdLimit: Duration = .milliseconds(250), firstSeenHold: Duration = .milliseconds(100),
         idleLimit: Duration = .seconds(600), maximumHeld: Int = 1000, now: ContinuousClock.Instant = .now) {
        self.holdLimit = holdLimit
        self.firstSeenHold = firstSeenHold
        self.idleLimit = idleLimit
        self.maximumHeld = maximumHeld
        self.lastPruned = now
    }

    /// Takes `item` (message `seq` of `conversation`) and returns what may be delivered now, in order.
    mutating func accept(_ item: Item, conversation id: String, seq: Int64, now: ContinuousClock.Instant) -> [Item] {
        var conversation = conversations[id] ?? Conversation(lastActivity: now)
        conversation.lastActivity = now
        defer {
            conversations[id] = conversation
            if conversation.held.isEmpty { waiting.remove(id) } else { waiting.insert(id) }
        }
        if conversation.recent.contains(seq) || conversation.held[seq] != nil { return [] }
        // Nothing comes before seq 1.
        if conversation.lastDelivered == nil, seq == 1 { conversation.lastDelivered = 0 }
        var ready: [Item] = []
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
        conversation.held[seq] = Held(item: item, since: now)
        if conversation.held.count > maximumHeld { Self.giveUpGap(&conversation, into: &ready) }
        return ready
    }

    /// Returns the held messages whose wait is over (and those in order behind them), and forgets idle conversations.
    mutating func release(now: ContinuousClock.Instant) -> [Item] {
        var ready: [Item] = []
        for id in waiting {
            guard var conversation = conversations[id] else { continue }
            while let first = conversation.held.keys.min() {
                let limit = conversation.lastDelivered == nil ? firstSeenHold : holdLimit
                guard conversation.held[first]!.since + limit <= now else { break }
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
