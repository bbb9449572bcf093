import Testing

@testable import ChatService

/// The fan-out's ordering rules, with a clock the tests move by hand.
struct SequenceReordererTests {
    let start = ContinuousClock.now
    func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    @Test func messagesInOrderPassAtOnce() {
        var reorderer = SequenceReorderer<Int64>(now: start)
        for seq in Int64(1)...5 {
            #expect(reorderer.accept(seq, conversation: "c", seq: seq, now: at(0)) == [seq])
        }
    }

    @Test func aMessageWaitsForItsPredecessor() {
        var reorderer = SequenceReorderer<Int64>(now: start)
        #expect(reorderer.accept(1, conversation: "c", seq: 1, now: at(0)) == [1])
        #expect(reorderer.accept(3, conversation: "c", seq: 3, now: at(1)).isEmpty)
        #expect(reorderer.accept(4, conversation: "c", seq: 4, now: at(2)).isEmpty)
        // Another conversation is not held up.
        #expect(reorderer.accept(1, conversation: "d", seq: 1, now: at(3)) == [1])
        #expect(reorderer.release(now: at(100)).isEmpty)
        #expect(reorderer.accept(2, conversation: "c", seq: 2, now: at(101)) == [2, 3, 4])
        #expect(reorderer.accept(5, conversation: "c", seq: 5, now: at(102)) == [5])
    }

    @Test func aGapThatNeverFillsIsGivenUpAfterTheHoldLimit() {
        var reorderer = SequenceReorderer<Int64>(holdLimit: .milliseconds(250), now: start)
        _ = reorderer.accept(1, conversation: "c", seq: 1, now: at(0))
        #expect(reorderer.accept(3, conversation: "c", seq: 3, now: at(10)).isEmpty)
        #expect(reorderer.accept(5, conversation: "c", seq: 5, now: at(20)).isEmpty)
        #expect(reorderer.release(now: at(259)).isEmpty)
        // 3 has waited long enough; 5 waits on for 4 from then on.
        #expect(reorderer.release(now: at(260)) == [3])
        #expect(reorderer.release(now: at(269)).isEmpty)
        #expect(reorderer.release(now: at(270)) == [5])
        // A predecessor later than the limit still goes out: late, never lost.
        #expect(reorderer.accept(2, conversation: "c", seq: 2, now: at(300)) == [2])
        #expect(reorderer.accept(6, conversation: "c", seq: 6, now: at(301)) == [6])
    }

    @Test func aConversationFirstSeenMidwayWaitsBrieflyForLowerSeqs() {
        var reorderer = SequenceReorderer<Int64>(firstSeenHold: .milliseconds(100), now: start)
        // Another instance's batch (41…43) arrives before this conversation's first messages (1…2).
        for seq in Int64(41)...43 { #expect(reorderer.accept(seq, conversation: "new", seq: seq, now: at(0)).isEmpty) }
        #expect(reorderer.accept(1, conversation: "new", seq: 1, now: at(5)) == [1])
        #expect(reorderer.accept(2, conversation: "new", seq: 2, now: at(6)) == [2])
        // Seen midway with nothing lower on its way: out after the first-seen hold, then in order at once.
        #expect(reorderer.accept(7, conversation: "old", seq: 7, now: at(0)).isEmpty)
        #expect(reorderer.release(now: at(99)).isEmpty)
        #expect(reorderer.release(now: at(100)) == [7])
        #expect(reorderer.accept(8, conversation: "old", seq: 8, now: at(101)) == [8])
    }

    @Test func aWatermarkSaysWhichPredecessorsAreStillBeingWritten() {
        var reorderer = SequenceReorderer<Int64>(inFlightHold: .seconds(2), now: start)
        // First seen at 54, with 1…13 published before it: 14…53 are on their way and are waited for.
        #expect(reorderer.accept(54, conversation: "c", seq: 54, watermark: 13, now: at(0)).isEmpty)
        #expect(reorderer.accept(55, conversation: "c", seq: 55, watermark: 13, now: at(1)).isEmpty)
        #expect(reorderer.release(now: at(1_999)).isEmpty)
        let late: [Int64] = Array(14...53)
        for seq in late.dropLast() { #expect(reorderer.accept(seq, conversation: "c", seq: seq, watermark: 13, now: at(500)) == [seq]) }
        #expect(reorderer.accept(53, conversation: "c", seq: 53, watermark: 13, now: at(501)) == [53, 54, 55])
        // Nothing lower can still come when the watermark is right below: out at once, also for a new conversation.
        #expect(reorderer.accept(9, conversation: "d", seq: 9, watermark: 8, now: at(600)) == [9])
    }

    @Test func gapsAtOrBelowAWatermarkAreGivenUpAtOnce() {
        var reorderer = SequenceReorderer<Int64>(now: start)
        _ = reorderer.accept(1, conversation: "c", seq: 1, watermark: 0, now: at(0))
        // 2 was allocated but never published (its write failed); 3 waits for it…
        #expect(reorderer.accept(3, conversation: "c", seq: 3, watermark: 1, now: at(1)).isEmpty)
        // …until a record allocated after 2's failure says everything up to 3 was published: 2 never will be.
        #expect(reorderer.accept(5, conversation: "c", seq: 5, watermark: 3, now: at(2)) == [3])
        #expect(reorderer.accept(4, conversation: "c", seq: 4, watermark: 3, now: at(3)) == [4, 5])
        // A watermark at or above the seq (a counter reset by a failover) says nothing.
        #expect(reorderer.accept(6, conversation: "c", seq: 6, watermark: 9, now: at(4)) == [6])
    }

    @Test func anOwnMessageWaitsForPredecessorsAnotherInstancePublished() {
        var reorderer = SequenceReorderer<Int64>(holdLimit: .milliseconds(250), inFlightHold: .seconds(2), now: start)
        _ = reorderer.accept(1, conversation: "c", seq: 1, watermark: 0, now: at(0))
        // 2…4 are another instance's, still on their way through Kafka when this instance's writer has 5 acknowledged:
        // slow, not lost, so 5 must not overtake them (a client that reconnected in between would never get them).
        #expect(reorderer.acceptOwn(5, conversation: "c", seq: 5, now: at(0)).isEmpty)
        #expect(reorderer.release(now: at(1_999)).isEmpty)
        #expect(reorderer.accept(2, conversation: "c", seq: 2, watermark: 1, now: at(1_000)) == [2])
        #expect(reorderer.accept(4, conversation: "c", seq: 4, watermark: 1, now: at(1_001)).isEmpty)
        #expect(reorderer.accept(3, conversation: "c", seq: 3, watermark: 1, now: at(1_002)) == [3, 4, 5])
        // In order, an own message goes at once.
        #expect(reorderer.acceptOwn(6, conversation: "c", seq: 6, now: at(1_003)) == [6])
        // Predecessors that never come are given up after the in-flight hold.
        #expect(reorderer.acceptOwn(9, conversation: "c", seq: 9, now: at(1_100)).isEmpty)
        #expect(reorderer.release(now: at(3_099)).isEmpty)
        #expect(reorderer.release(now: at(3_100)) == [9])
    }

    @Test func readingAnOwnRecordGivesUpTheGapsUpToItsWatermark() {
        var reorderer = SequenceReorderer<Int64>(inFlightHold: .seconds(2), now: start)
        _ = reorderer.acceptOwn(1, conversation: "c", seq: 1, now: at(0))
        // 2 was another instance's and its write failed; 3 was allocated after 2 was settled (watermark 2).
        #expect(reorderer.acceptOwn(3, conversation: "c", seq: 3, now: at(1)).isEmpty)
        // The consumer reads 3's record: 2 would have been before it. 3 goes.
        #expect(reorderer.ownRecordConsumed(conversation: "c", seq: 3, watermark: 2, now: at(10)) == [3])
        // Seqs still being written when 7 was allocated (5, 6 above watermark 4) are waited for all the same.
        #expect(reorderer.acceptOwn(7, conversation: "c", seq: 7, now: at(20)).isEmpty)
        #expect(reorderer.ownRecordConsumed(conversation: "c", seq: 7, watermark: 4, now: at(30)).isEmpty)
        #expect(reorderer.accept(5, conversation: "c", seq: 5, watermark: 4, now: at(40)) == [5])
        #expect(reorderer.accept(6, conversation: "c", seq: 6, watermark: 4, now: at(41)) == [6, 7])
        // A conversation first seen at an own message (say after a restart): out once its record is read…
        #expect(reorderer.acceptOwn(41, conversation: "new", seq: 41, now: at(50)).isEmpty)
        #expect(reorderer.ownRecordConsumed(conversation: "new", seq: 41, watermark: 40, now: at(55)) == [41])
        // …or at once when the record was read before the writer's delivery.
        #expect(reorderer.ownRecordConsumed(conversation: "newer", seq: 8, watermark: 7, now: at(60)).isEmpty)
        #expect(reorderer.acceptOwn(8, conversation: "newer", seq: 8, now: at(61)) == [8])
        // A watermark at or above the seq (a counter reset by a failover) says nothing.
        #expect(reorderer.acceptOwn(12, conversation: "c", seq: 12, now: at(70)).isEmpty)
        #expect(reorderer.ownRecordConsumed(conversation: "c", seq: 12, watermark: 30, now: at(71)).isEmpty)
        #expect(reorderer.release(now: at(2_070)) == [12])
    }

    @Test func duplicatesAreDropped() {
        var reorderer = SequenceReorderer<Int64>(now: start)
        _ = reorderer.accept(1, conversation: "c", seq: 1, now: at(0))
        #expect(reorderer.accept(1, conversation: "c", seq: 1, now: at(1)).isEmpty)
        #expect(reorderer.accept(3, conversation: "c", seq: 3, now: at(2)).isEmpty)
        #expect(reorderer.accept(3, conversation: "c", seq: 3, now: at(3)).isEmpty)
        #expect(reorderer.accept(2, conversation: "c", seq: 2, now: at(4)) == [2, 3])
        #expect(reorderer.accept(2, conversation: "c", seq: 2, now: at(5)).isEmpty)
        #expect(reorderer.release(now: at(10_000)).isEmpty)
    }

    @Test func tooManyHeldMessagesGiveUpTheGapAtOnce() {
        var reorderer = SequenceReorderer<Int64>(maximumHeld: 3, now: start)
        _ = reorderer.accept(1, conversation: "c", seq: 1, now: at(0))
        for seq in Int64(3)...5 { #expect(reorderer.accept(seq, conversation: "c", seq: seq, now: at(1)).isEmpty) }
        #expect(reorderer.accept(6, conversation: "c", seq: 6, now: at(2)) == [3, 4, 5, 6])
    }

    @Test func idleConversationsAreForgotten() {
        var reorderer = SequenceReorderer<Int64>(firstSeenHold: .milliseconds(100), idleLimit: .seconds(60), now: start)
        _ = reorderer.accept(1, conversation: "quiet", seq: 1, now: at(0))
        _ = reorderer.accept(1, conversation: "busy", seq: 1, now: at(0))
        _ = reorderer.accept(2, conversation: "busy", seq: 2, now: at(50_000))
        _ = reorderer.release(now: at(60_000))
        #expect(reorderer.conversationCount == 1)
        // A forgotten conversation is seen afresh.
        #expect(reorderer.accept(7, conversation: "quiet", seq: 7, now: at(60_001)).isEmpty)
        #expect(reorderer.release(now: at(60_101)) == [7])
    }
}
