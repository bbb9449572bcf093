import Testing

@testable import RedisCluster

@Suite struct HashSlotTests {
    @Test func crc16MatchesTheXmodemCheckValue() {
        #expect(HashSlot.crc16(Array("123456789".utf8)) == 0x31C3)
    }

    @Test(arguments: [("foo", 12182), ("bar", 5061), ("", 0), ("user:1000", 1649)])
    func slotsMatchRedis(key: String, slot: Int) {
        #expect(HashSlot(key: key).rawValue == UInt16(slot))
    }

    @Test func hashTagsFollowTheSpecification() {
        // Only the part between the first { and the next } is hashed…
        #expect(HashSlot(key: "{user1000}.following") == HashSlot(key: "{user1000}.followers"))
        #expect(HashSlot(key: "foo{bar}{zap}") == HashSlot(key: "bar"))
        #expect(HashSlot(key: "foo{{bar}}zap") == HashSlot(key: "{bar"))
        // …unless it is empty, then the whole key is hashed.
        #expect(HashSlot(key: "foo{}{bar}") == HashSlot(key: Array("foo{}{bar}".utf8)))
        #expect(HashSlot(key: "foo{}{bar}") != HashSlot(key: "bar"))
        // An unclosed brace is part of the key.
        #expect(HashSlot(key: "foo{bar") != HashSlot(key: "bar"))
    }
}
