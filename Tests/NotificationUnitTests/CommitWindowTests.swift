import Testing

@testable import Kafka
@testable import NotificationService

/// Which records may be committed while several are handled at once.
struct CommitWindowTests {
    func record(_ partition: Int32, _ offset: Int64, topic: String = "t") -> KafkaRecord {
        KafkaRecord(topic: topic, partition: partition, offset: offset, key: nil, value: [], headers: [], assignmentGeneration: 1)
    }

    @Test func aRecordIsCommittedOnlyOnceItAndEveryEarlierOneWereHandled() {
        let window = CommitWindow()
        let numbers = [record(0, 10), record(1, 20), record(0, 11), record(1, 21)].map { window.add($0) }
        var committed: [String] = []
        let commit = { (record: KafkaRecord) in committed.append("\(record.partition):\(record.offset)") }
        window.handled(numbers[2], commit: commit)
        window.handled(numbers[1], commit: commit)
        #expect(committed.isEmpty)  // 0:10 is still being handled
        window.handled(numbers[0], commit: commit)
        // The front three are done: the last of each partition among them is committed, once.
        #expect(committed.sorted() == ["0:11", "1:20"])
        window.handled(numbers[3], commit: commit)
        #expect(committed.sorted() == ["0:11", "1:20", "1:21"])
    }

    @Test func partitionsOfDifferentTopicsAreTheirOwn() {
        let window = CommitWindow()
        let first = window.add(record(0, 5, topic: "a"))
        let second = window.add(record(0, 7, topic: "b"))
        var committed: [String] = []
        window.handled(second) { committed.append("\($0.topic):\($0.offset)") }
        window.handled(first) { committed.append("\($0.topic):\($0.offset)") }
        #expect(committed.sorted() == ["a:5", "b:7"])
    }
}
