import Testing

@testable import Kafka

/// Which commits go through across rebalances (only for partitions still assigned in the generation their record
/// was polled in), and when a consumer reads every partition it owns.
struct PartitionAssignmentTests {
    typealias Key = PartitionAssignment.Key

    @Test func aCommitGoesThroughOnlyWhileItsPartitionIsAssignedInItsGeneration() {
        let assignment = PartitionAssignment()
        let a = Key(topic: "t", partition: 0)
        let b = Key(topic: "t", partition: 1)
        assignment.assign([a, b], replacingAll: false)
        let polledFromA = assignment.fetched(topic: "t", partition: 0)
        #expect(polledFromA != 0 && assignment.whileAssigned(topic: "t", partition: 0, generation: polledFromA) { true } == true)
        // Revoked, then assigned again: a record polled before is never committed, one polled after is.
        assignment.revoke([a])
        #expect(assignment.fetched(topic: "t", partition: 0) == 0)
        #expect(assignment.whileAssigned(topic: "t", partition: 0, generation: polledFromA) { true } == nil)
        assignment.assign([a], replacingAll: false)
        let polledAgain = assignment.fetched(topic: "t", partition: 0)
        #expect(polledAgain != polledFromA)
        #expect(assignment.whileAssigned(topic: "t", partition: 0, generation: polledFromA) { true } == nil)
        #expect(assignment.whileAssigned(topic: "t", partition: 0, generation: polledAgain) { true } == true)
        // Generation 0 (never assigned) matches nothing.
        #expect(assignment.whileAssigned(topic: "t", partition: 9, generation: 0) { true } == nil)
    }

    @Test func theEagerProtocolReplacesAndARevocationOfAllEndsEverything() {
        let assignment = PartitionAssignment()
        assignment.assign([Key(topic: "t", partition: 0), Key(topic: "t", partition: 1)], replacingAll: false)
        assignment.assign([Key(topic: "t", partition: 2)], replacingAll: true)
        #expect(Set(assignment.partitions.map(\.partition)) == [2])
        assignment.revokeAll()
        #expect(assignment.partitions.isEmpty)
    }

    @Test func positionedOnceEveryAssignedPartitionWasFetchedSinceItsAssignment() {
        let assignment = PartitionAssignment()
        #expect(!assignment.isPositioned)
        assignment.assign([Key(topic: "t", partition: 0), Key(topic: "t", partition: 1)], replacingAll: false)
        assignment.fetched(topic: "t", partition: 0)
        assignment.fetched(topic: "other", partition: 1)
        #expect(!assignment.isPositioned)
        assignment.fetched(topic: "t", partition: 1)
        #expect(assignment.isPositioned)
        // A partition assigned again is fetched again before it counts.
        assignment.revoke([Key(topic: "t", partition: 1)])
        assignment.assign([Key(topic: "t", partition: 1)], replacingAll: false)
        #expect(!assignment.isPositioned)
        assignment.fetched(topic: "t", partition: 1)
        #expect(assignment.isPositioned)
    }
}
