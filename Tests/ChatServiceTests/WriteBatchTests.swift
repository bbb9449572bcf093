import Testing

@testable import ChatService

/// How the writer lays out one batch: retries wait for their original, seqs follow the queue per conversation.
struct WriteBatchTests {
    func message(_ conversation: String, _ clientId: String, from sender: String = "s") -> NewMessage {
        NewMessage(
            conversationId: conversation, senderId: sender, clientMessageId: clientId, body: clientId, attachments: [],
            replyToSeq: nil, recipientIds: [], mentionedUserIds: [])
    }

    @Test func aRetryInTheSameBatchFollowsItsOriginal() {
        let queued = [message("c", "1"), message("c", "2"), message("c", "1"), message("c", "1", from: "other")]
            .map { MessageWriter.Pending(message: $0, reply: WriteTicket()) }
        let (firsts, followers) = WriteBatch.splitRetries(queued)
        #expect(firsts.map(\.message.clientMessageId) == ["1", "2", "1"])
        #expect(firsts.map(\.message.senderId) == ["s", "s", "other"])
        #expect(followers.count == 1 && followers["c|s|1"]?.count == 1)
    }

    @Test func eachConversationTakesItsSeqsInQueueOrder() throws {
        let messages = [message("a", "1"), message("b", "2"), message("a", "3"), message("a", "4")]
        #expect(WriteBatch.seqCounts(messages).map { "\($0.conversationId)×\($0.count)" } == ["a×3", "b×1"])
        let documents = try WriteBatch.documents(messages, seqs: ["a": 10...12, "b": 7...7], createdAtMs: 42)
        #expect(documents.map(\.seq) == [10, 7, 11, 12])
        #expect(documents.map(\._id) == ["a:10", "b:7", "a:11", "a:12"])
        #expect(documents.allSatisfy { $0.createdAtMs == 42 && !$0.deleted && $0.reactions.isEmpty })
        // More messages than seqs allocated: refused, never a seq outside the range.
        #expect(throws: (any Error).self) { try WriteBatch.documents(messages, seqs: ["a": 10...11, "b": 7...7], createdAtMs: 42) }
    }

    @Test func aRefusedRecordHoldsItsConversationsWatermarkBelowItself() throws {
        let messages = [message("a", "1"), message("a", "2"), message("a", "3"), message("b", "4")]
        let results = try WriteBatch.documents(messages, seqs: ["a": 5...7, "b": 1...1], createdAtMs: 0).map { StoredMessage.created($0.view) }
        func settled(_ refused: Set<Int>, allocated: [String: ClosedRange<Int64>] = ["a": 5...7, "b": 1...1]) -> [String: ClosedRange<Int64>] {
            Dictionary(
                uniqueKeysWithValues: WriteBatch.publishedRanges(results, refused: refused, allocated: allocated).map { ($0.conversationId, $0.seqs) }
            )
        }
        #expect(settled([]) == ["a": 5...7, "b": 1...1])
        // Seq 6 was refused: a's settled range ends at 5 although 7 was published; b is not held back.
        #expect(settled([1]) == ["a": 5...5, "b": 1...1])
        #expect(settled([0, 3]) == [:])
        // Seqs allocated beyond what new messages took (a retry found its original) are settled with the rest.
        #expect(settled([], allocated: ["a": 5...8, "b": 1...1]) == ["a": 5...8, "b": 1...1])
    }
}
