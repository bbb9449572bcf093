import Foundation
import Kafka
import ServiceLifecycle
import Synchronization
import Testing

/// The Kafka clients against the stack's 3-broker mock cluster, each test on topics of its own.
@Suite(.timeLimit(.minutes(5))) struct KafkaTests {
    var brokers: KafkaConfiguration { KafkaConfiguration(brokers: TestStack["CHAT_KAFKA_BROKERS"]) }

    /// Sends a command to the mock cluster's control channel (see scripts/stack/kafka-mock-cluster.c).
    static func control(_ command: String) throws {
        let channel = try #require(FileHandle(forWritingAtPath: TestStack["CHAT_KAFKA_CONTROL"]))
        channel.write(Data((command + "\n").utf8))
        try channel.close()
    }

    /// Creates a topic with `partitions` partitions and waits until the cluster reports it.
    func makeTopic(partitions: Int, producer: KafkaProducer) async throws -> String {
        let topic = TestStack.unique("test")
        try Self.control("create \(topic) \(partitions)")
        let deadline = ContinuousClock.now + .seconds(10)
        while try await producer.partitionCount(of: topic) != partitions {
            guard ContinuousClock.now < deadline else { throw KafkaError(message: "topic \(topic) never appeared") }
            try await Task.sleep(for: .milliseconds(50))
        }
        return topic
    }

    func consumer(group: String, topic: String) throws -> KafkaConsumer {
        try KafkaConsumer(configuration: .init(brokers, groupId: group, topics: [topic]), logger: TestStack.logger)
    }

    /// Reads `count` records, committing each after it was handled.
    static func take(_ count: Int, from consumer: KafkaConsumer) async throws -> [KafkaRecord] {
        var records: [KafkaRecord] = []
        guard count > 0 else { return records }
        for await record in consumer {
            records.append(record)
            try consumer.commit(record)
            if records.count == count { break }
        }
        return records
    }

    static func text(_ record: KafkaRecord) -> String { String(decoding: record.value, as: UTF8.self) }

    /// Reads `count` records of `key:seq` values from `topic` in a new group and returns each key's seqs in the
    /// order they arrived.
    func consumeSequences(_ count: Int, from topic: String) async throws -> [String: [Int]] {
        let consumer = try consumer(group: TestStack.unique("group"), topic: topic)
        let records = try await withServiceGroup([consumer]) { try await Self.take(count, from: consumer) }
        var sequences: [String: [Int]] = [:]
        for record in records {
            let parts = Self.text(record).split(separator: ":")
            sequences[String(parts[0]), default: []].append(Int(parts[1])!)
        }
        return sequences
    }

    @Test func tenThousandKeyedMessagesArriveInPerKeyOrder() async throws {
        let producer = try KafkaProducer(configuration: .init(brokers), logger: TestStack.logger)
        let topic = try await makeTopic(partitions: 6, producer: producer)
        let keys = 50
        let perKey = 200
        // One sequential sender per key: each send completes before the key's next one starts.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for key in 0..<keys {
                group.addTask {
                    for seq in 0..<perKey {
                        try await producer.send(topic: topic, key: Array("key-\(key)".utf8), value: Array("\(key):\(seq)".utf8))
                    }
                }
            }
            try await group.waitForAll()
        }
        let sequences = try await consumeSequences(keys * perKey, from: topic)
        #expect(sequences.count == keys)
        #expect(sequences.values.allSatisfy { $0 == Array(0..<perKey) })
    }

    @Test func aBatchKeepsItsOrderPerKey() async throws {
        let producer = try KafkaProducer(configuration: .init(brokers), logger: TestStack.logger)
        let topic = try await makeTopic(partitions: 6, producer: producer)
        let keys = 20
        let perKey = 100
        // One batch, the keys interleaved: nothing awaits between records of one key.
        let records = (0..<perKey).flatMap { seq in
            (0..<keys).map { key in KafkaOutgoingRecord(topic: topic, key: Array("key-\(key)".utf8), value: Array("\(key):\(seq)".utf8)) }
        }
        let reports = try await producer.send(records)
        #expect(reports.count == records.count)
        // Each partition's offsets follow the batch's order.
        var lastOffset: [Int32: Int64] = [:]
        for report in reports {
            #expect(report.offset > lastOffset[report.partition, default: -1])
            lastOffset[report.partition] = report.offset
        }
        let sequences = try await consumeSequences(keys * perKey, from: topic)
        #expect(sequences.count == keys)
        #expect(sequences.values.allSatisfy { $0 == Array(0..<perKey) })
        #expect(try await producer.send([]).isEmpty)
    }

    @Test func aRestartedConsumerResumesFromItsLastCommit() async throws {
        let producer = try KafkaProducer(configuration: .init(brokers), logger: TestStack.logger)
        let topic = try await makeTopic(partitions: 3, producer: producer)
        let sent = (0..<300).map { "m\($0)" }
        for text in sent { try await producer.send(topic: topic, key: Array(text.utf8), value: Array(text.utf8)) }
        let group = TestStack.unique("group")

        let first = try consumer(group: group, topic: topic)
        let before = try await withServiceGroup([first]) { try await Self.take(100, from: first) }
        let second = try consumer(group: group, topic: topic)
        let after = try await withServiceGroup([second]) { try await Self.take(200, from: second) }

        // Everything committed before the restart is not read again, and nothing is skipped.
        #expect(Set(before.map(Self.text)).isDisjoint(with: after.map(Self.text)))
        #expect(Set(before.map(Self.text)).union(after.map(Self.text)) == Set(sent))
        for partition in Set(after.map(\.partition)) {
            let lastBefore = before.filter { $0.partition == partition }.map(\.offset).max() ?? -1
            #expect(after.filter { $0.partition == partition }.map(\.offset).min() == lastBefore + 1)
        }
    }

    @Test func twoConsumersOfOneGroupSplitThePartitions() async throws {
        let producer = try KafkaProducer(configuration: .init(brokers), logger: TestStack.logger)
        let topic = try await makeTopic(partitions: 6, producer: producer)
        let group = TestStack.unique("group")
        let members = [try consumer(group: group, topic: topic), try consumer(group: group, topic: topic)]
        let received = try await withServiceGroup(members) {
            let deadline = ContinuousClock.now + .seconds(30)
            while !(members.allSatisfy { !$0.assignedPartitions().isEmpty }
                && Set(members.flatMap { $0.assignedPartitions().map(\.partition) }).count == 6)
            {
                guard ContinuousClock.now < deadline else { throw KafkaError(message: "the group never balanced") }
                try await Task.sleep(for: .milliseconds(100))
            }
            let assignments = members.map { Set($0.assignedPartitions().map(\.partition)) }
            #expect(assignments[0].isDisjoint(with: assignments[1]))
            var partitionOf: [Int32] = []
            for index in 0..<60 {
                partitionOf.append(try await producer.send(topic: topic, key: Array("k\(index)".utf8), value: Array("v\(index)".utf8)).partition)
            }
            return try await withThrowingTaskGroup(of: (Int, [KafkaRecord]).self) { tasks in
                for (index, member) in members.enumerated() {
                    let expected = partitionOf.filter { assignments[index].contains($0) }.count
                    tasks.addTask { (index, try await Self.take(expected, from: member)) }
                }
                var received: [[KafkaRecord]] = [[], []]
                for try await (index, records) in tasks { received[index] = records }
                return received
            }
        }
        #expect(received.allSatisfy { !$0.isEmpty })
        #expect(Set(received[0].map(\.partition)).isDisjoint(with: received[1].map(\.partition)))
        #expect(Set(received.flatMap { $0.map(Self.text) }) == Set((0..<60).map { "v\($0)" }))
    }

    @Test func everyAcknowledgedMessageSurvivesABrokerOutage() async throws {
        let producer = try KafkaProducer(configuration: .init(brokers), logger: TestStack.logger)
        let topic = try await makeTopic(partitions: 3, producer: producer)
        let acknowledged = Acknowledged()
        try Self.control("down 1")
        let sending = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<90 {
                    group.addTask {
                        let text = "during-outage-\(index)"
                        try await producer.send(topic: topic, key: Array(text.utf8), value: Array(text.utf8))
                        acknowledged.list.withLock { $0.append(text) }
                    }
                }
                try await group.waitForAll()
            }
        }
        // Partitions led by the other brokers keep acknowledging while broker 1 is down.
        let deadline = ContinuousClock.now + .seconds(20)
        while acknowledged.list.withLock({ $0.count }) < 20 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try Self.control("up 1")
        try await sending.value
        let sent = acknowledged.list.withLock { $0 }
        #expect(sent.count == 90)
        let consumer = try consumer(group: TestStack.unique("group"), topic: topic)
        let records = try await withServiceGroup([consumer]) { try await Self.take(sent.count, from: consumer) }
        #expect(Set(records.map(Self.text)) == Set(sent))
    }
}

extension KafkaTests {
    @Test func aRevokedPartitionIsNeverCommitted() async throws {
        let producer = try KafkaProducer(configuration: .init(brokers), logger: TestStack.logger)
        let topic = try await makeTopic(partitions: 6, producer: producer)
        var count = 0
        var partitionsWithRecords: Set<Int32> = []
        while partitionsWithRecords.count < 6 || count < 60 {
            partitionsWithRecords.insert(
                try await producer.send(topic: topic, key: Array("k\(count)".utf8), value: Array("v\(count)".utf8)).partition)
            count += 1
        }
        let sent = count
        let group = TestStack.unique("group")
        // Short sessions: members notice the rebalances sooner (the heartbeat is a tenth of the session timeout).
        let member: @Sendable () throws -> KafkaConsumer = {
            try KafkaConsumer(
                configuration: .init(self.brokers, groupId: group, topics: [topic], sessionTimeoutMilliseconds: 3_000), logger: TestStack.logger)
        }
        let first = try member()
        let (refused, moved, movedCount) = try await withServiceGroup([first]) {
            // The first member owns every partition and reads everything without committing yet.
            var reading: [KafkaRecord] = []
            for await record in first {
                reading.append(record)
                if reading.count == sent { break }
            }
            let held = reading
            // A second member joins: the cooperative rebalance moves some partitions to it.
            let second = try member()
            return try await withServiceGroup([second]) {
                let deadline = ContinuousClock.now + .seconds(30)
                while second.assignedPartitions().isEmpty
                    || Set((first.assignedPartitions() + second.assignedPartitions()).map(\.partition)).count != 6
                {
                    guard ContinuousClock.now < deadline else { throw KafkaError(message: "the group never rebalanced") }
                    try await Task.sleep(for: .milliseconds(50))
                }
                let kept = Set(first.assignedPartitions().map(\.partition))
                let moved = Set(second.assignedPartitions().map(\.partition))
                #expect(kept.isDisjoint(with: moved) && !kept.isEmpty)
                // Committing what the first member handled: refused exactly for the partitions it lost.
                var refused: Set<Int32> = []
                for record in held {
                    do {
                        try first.commit(record)
                        #expect(kept.contains(record.partition))
                    } catch let error as KafkaError where error.isPartitionRevoked {
                        refused.insert(record.partition)
                    }
                }
                // The kept partitions' offsets reach the group before the members leave (a commit that meets the
                // rebalance of their leaving fails and is not retried).
                let last = Dictionary(held.filter { kept.contains($0.partition) }.map { ($0.partition, $0.offset + 1) }, uniquingKeysWith: max)
                while !last.allSatisfy({ first.committedOffset(topic: topic, partition: $0.key) == $0.value }) {
                    guard ContinuousClock.now < deadline else { throw KafkaError(message: "the kept offsets were never committed") }
                    try await Task.sleep(for: .milliseconds(50))
                }
                return (refused, moved, held.filter { moved.contains($0.partition) }.count)
            }
        }
        #expect(refused == moved)
        // Nothing was committed for the moved partitions: a new member reads all of their records from offset 0, and
        // nothing of the kept partitions, whose offsets were committed.
        let third = try member()
        let reread = try await withServiceGroup([third]) { try await Self.take(movedCount, from: third) }
        #expect(Set(reread.map(\.partition)) == moved)
        for partition in moved {
            #expect(reread.filter { $0.partition == partition }.map(\.offset).min() == 0)
        }
    }
}

/// Texts whose sends the brokers acknowledged, shared between the sending tasks and the test.
private final class Acknowledged: Sendable {
    let list = Mutex<[String]>([])
}
