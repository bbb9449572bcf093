/// Puts each conversation's messages back in `seq` order before they reach WebSockets.
///
/// One instance publishes a conversation's messages in seq order, but two instances writing to the same
/// conversation at once can publish seq 11 before seq 10. A message whose predecessor has not arrived yet is held
/// until it does, or for at most ``holdLimit`` (the predecessor may never come: its write failed after its seq was
/// allocated); then the held messages go out in order and the gap is given up. A message older than what was already
/// delivered (a predecessor later than ``holdLimit``) still goes out at once: late, but never lost. A seq delivered
/// recently is dropped as a duplicate (a publish retried after a failure).
struct SequenceReorderer<Item> {
    /// How long a message may wait for its predecessor.
    let holdLimit: Duration
    /// How long a conversation without traffic is remembered.
    let idleLimit: Duration
    /// The most messages held for one conversation; beyond it the oldest gap is given up at once.
    let maximumHeld: Int

    private struct Held {
        let item: Item
        let since: ContinuousClock.Instant
    }

    private struct Conversation {
        var lastDelivered: Int64
        /// Seqs delivered lately (at most ``recentWindow`` below `lastDelivered`), to recognise duplicates.
        var recent: Set<Int64>
        var held: [Int64: Held] = [:]
        var lastActivity: ContinuousClock.Instant
    }

    private static var recentWindow: Int64 { 1024 }
    private var conversations: [String: Conversation] = [:]
    /// The conversations that hold messages, so that ``release(now:)`` need not visit the others.
    private var waiting: Set<String> = []
    private var lastPruned: ContinuousClock.Instant

    init(holdLimit: Duration = .milliseconds(250), idleLimit: Duration = .seconds(120), maximumHeld: Int = 1000,
         now: ContinuousClock.Instant = .now) {
        self.holdLimit = holdLimit
        self.idleLimit = idleLimit
        self.maximumHeld = maximumHeld
        self.lastPruned = now
    }

    /// Takes `item` (message `seq` of `conversation`) and returns what may be delivered now, in order.
    mutating func accept(_ item: Item, conversation id: String, seq: Int64, now: ContinuousClock.Instant) -> [Item] {
        guard var conversation = conversations[id] else {
            conversations[id] = Conversation(lastDelivered: seq, recent: [seq], lastActivity: now)
            return [item]
        }
        conversation.lastActivity = now
        defer { conversations[id] = conversation }
        if conversation.recent.contains(seq) || conversation.held[seq] != nil { return [] }
        if seq <= conversation.lastDelivered {
            conversation.recent.insert(seq)
            return [item]
        }
        if seq == conversation.lastDelivered + 1 {
            var ready = [item]
            Self.deliver(seq, in: &conversation)
            Self.drain(&conversation, into: &ready)
            if conversation.held.isEmpty { waiting.remove(id) }
            return ready
        }
        conversation.held[seq] = Held(item: item, since: now)
        waiting.insert(id)
        guard conversation.held.count > maximumHeld else { return [] }
        var ready: [Item] = []
        Self.giveUpGap(&conversation, into: &ready)
        if conversation.held.isEmpty { waiting.remove(id) }
        return ready
    }

    /// Returns the held messages whose wait is over (and those in order behind them), and forgets idle conversations.
    mutating func release(now: ContinuousClock.Instant) -> [Item] {
        var ready: [Item] = []
        for id in waiting {
            guard var conversation = conversations[id] else { continue }
            while let first = conversation.held.keys.min(), conversation.held[first]!.since + holdLimit <= now {
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
        while let next = conversation.held.removeValue(forKey: conversation.lastDelivered + 1) {
            ready.append(next.item)
            deliver(conversation.lastDelivered + 1, in: &conversation)
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
