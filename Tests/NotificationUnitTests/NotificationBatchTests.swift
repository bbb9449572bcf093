import ChatEvents
import Foundation
import Testing

@testable import NotificationService

/// The contract's notification rule (v1.1) over a batch of events: what is stored and what becomes a frame.
struct NotificationBatchTests {
    let sender = UUID(), online = UUID(), offline = UUID(), mentioned = UUID(), conversation = UUID()

    func id(_ uuid: UUID) -> String { uuid.uuidString.lowercased() }

    func messagePlan(seq: Int64, mentions: [UUID] = []) throws -> NotificationPlan {
        try #require(
            NotificationPlan(
                .messageCreated(
                    EventEnvelope(
                        MessageCreated(
                            conversationId: conversation, messageId: "m\(seq)", seq: seq, senderId: sender, clientMessageId: "c\(seq)",
                            body: "hello", attachmentIds: [], replyToSeq: nil, createdAt: Date(), recipientIds: [online, offline, mentioned],
                            mentionedUserIds: mentions)))))
    }

    @Test func anOrdinaryMessageIsStoredOnlyForRecipientsWithoutALiveSocket() throws {
        let batch = NotificationBatch([try messagePlan(seq: 1)], online: [id(online), id(mentioned)])
        #expect(batch.rows.map(\.userId) == [id(offline)])
        #expect(batch.rows.allSatisfy { !$0.online && $0.kind == .message })
        // Stored for the offline recipient: pushes queued, no frame.
        let stored = batch.rows.map { (id: UUID().uuidString, identity: $0.identity) }
        #expect(batch.queuesPushes(stored) && batch.frames(for: stored).isEmpty)
    }

    @Test func aMentionIsStoredForEveryoneAndFramedForThoseOnline() throws {
        let batch = NotificationBatch([try messagePlan(seq: 2, mentions: [mentioned])], online: [id(online), id(mentioned)])
        #expect(Set(batch.rows.map { "\($0.userId):\($0.kind.rawValue)" }) == ["\(id(offline)):message", "\(id(mentioned)):mention"])
        let stored = batch.rows.map { (id: UUID().uuidString, identity: $0.identity) }
        let frames = batch.frames(for: stored)
        #expect(frames.count == 1 && frames.first?.payload.userId == mentioned && frames.first?.payload.kind == "mention")
    }

    @Test func anAdditionIsStoredAndFramedOnceWhateverTheBatchRepeats() throws {
        let added = try #require(
            NotificationPlan(
                .memberAdded(
                    EventEnvelope(
                        MemberAdded(
                            conversationId: conversation, userId: online, addedBy: sender)))))
        let batch = NotificationBatch([added, added], online: [id(online)])
        #expect(batch.rows.count == 1 && batch.rows.first?.kind == .addedToConversation && batch.rows.first?.online == true)
        let frames = batch.frames(for: batch.rows.map { (id: "n1", identity: $0.identity) })
        #expect(frames.count == 1 && frames.first?.payload.seq == nil)
        // A row an earlier delivery stored (not returned as stored now) makes no frame.
        #expect(batch.frames(for: []).isEmpty)
    }
}
