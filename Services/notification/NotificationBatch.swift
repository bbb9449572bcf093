import ChatEvents
import Foundation
import ServiceKit

/// What a batch of events stores and sends, by the contract's rule (v1.1): a `mention` or an
/// `added_to_conversation` is stored for its recipient, online or not, and sent as a `notification` frame to an online
/// one; an ordinary `message` is stored (and pushed) only for a recipient without a live WebSocket, and an online one
/// gets nothing from here (the message itself reached them; its unread state is the conversation's unread count).
struct NotificationBatch: Sendable {
    /// One notification to store.
    struct Row: Sendable, Encodable, Hashable {
        let userId: String
        let kind: NotificationItem.Kind
        /// The recipient had a live WebSocket: a `notification` frame goes out, no push.
        let online: Bool
        let conversationId: String
        let seq: Int64
        let actorId: String
        let preview: String
        let createdAt: Date
        /// The event's trace (see ``NotificationPlan/traceparent``).
        let traceparent: String?

        private enum CodingKeys: String, CodingKey {
            case userId = "user_id"
            case kind = "type"
            case online
            case conversationId = "conversation_id"
            case seq
            case actorId = "actor_id"
            case preview
            case createdAt = "created_at"
            case traceparent
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(userId, forKey: .userId)
            try container.encode(kind.rawValue, forKey: .kind)
            try container.encode(online, forKey: .online)
            try container.encode(conversationId, forKey: .conversationId)
            try container.encode(seq, forKey: .seq)
            try container.encode(actorId, forKey: .actorId)
            try container.encode(preview, forKey: .preview)
            try container.encode(RFC3339.string(from: createdAt), forKey: .createdAt)
            try container.encodeIfPresent(traceparent, forKey: .traceparent)
        }

        /// What makes a notification unique (a redelivered event finds its row stored).
        var identity: String { "\(userId)|\(conversationId)|\(seq)|\(kind.rawValue)" }
    }

    /// The rows to store, each once.
    let rows: [Row]

    /// The rows of `plans` for recipients of whom `online` are connected.
    init(_ plans: [NotificationPlan], online: Set<String>) {
        var seen: Set<String> = []
        var rows: [Row] = []
        for plan in plans {
            for recipient in plan.recipients {
                let isOnline = online.contains(recipient.userId)
                if recipient.kind == .message && isOnline { continue }
                let row = Row(
                    userId: recipient.userId, kind: recipient.kind, online: isOnline, conversationId: plan.conversationId,
                    seq: plan.seq, actorId: plan.actorId, preview: plan.preview, createdAt: plan.createdAt,
                    traceparent: plan.traceparent)
                if seen.insert(row.identity).inserted { rows.append(row) }
            }
        }
        self.rows = rows
    }

    /// The users whose presence decides the batch: recipients of ordinary messages (a mention or an addition is
    /// stored either way, but its frame goes only to online users, so they are asked too).
    static func recipients(of plans: [NotificationPlan]) -> Set<String> {
        Set(plans.flatMap { $0.recipients.map(\.userId) })
    }

    /// The `notification.created` events for the stored rows of online recipients (chat sends them as frames).
    func frames(for stored: [(id: String, identity: String)]) -> [EventEnvelope<NotificationCreated>] {
        let byIdentity = Dictionary(rows.map { ($0.identity, $0) }) { first, _ in first }
        return stored.compactMap { stored in
            guard let row = byIdentity[stored.identity], row.online, let userId = UUID(uuidString: row.userId),
                let conversationId = UUID(uuidString: row.conversationId), let actorId = UUID(uuidString: row.actorId)
            else { return nil }
            return EventEnvelope(
                NotificationCreated(
                    conversationId: conversationId, userId: userId, notificationId: stored.id, kind: row.kind.rawValue,
                    seq: row.kind == .addedToConversation ? nil : row.seq, actorId: actorId, preview: row.preview,
                    createdAt: row.createdAt))
        }
    }

    /// Whether a stored row is for an offline recipient (its pushes are queued: the push workers should look).
    func queuesPushes(_ stored: [(id: String, identity: String)]) -> Bool {
        let offline = Set(rows.filter { !$0.online }.map(\.identity))
        return stored.contains { offline.contains($0.identity) }
    }
}
