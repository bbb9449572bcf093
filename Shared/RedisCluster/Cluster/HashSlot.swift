/// A Redis Cluster hash slot (0…16383): CRC16-XMODEM of the key, or of its hash tag, modulo 16384.
public struct HashSlot: Sendable, Hashable, Comparable, CustomStringConvertible {
    public static let count = 16384
    public let rawValue: UInt16

    public init?(rawValue: Int) {
        guard (0..<Self.count).contains(rawValue) else { return nil }
        self.rawValue = UInt16(rawValue)
    }

    /// The slot of `key`, honouring hash tags exactly as the cluster specification: if the key contains `{` and a
    /// later `}` with at least one byte between them, only the bytes between the first `{` and the next `}` are hashed.
    public init<Key: Collection<UInt8>>(key: Key) {
        self.rawValue = HashSlot.crc16(HashSlot.hashedPart(of: key)) & 0x3FFF
    }

    public init(key: String) {
        // A native string's bytes are contiguous: hash them in place rather than copying them into an array.
        if let slot = key.utf8.withContiguousStorageIfAvailable({ HashSlot(key: $0) }) {
            self = slot
        } else {
            self.init(key: Array(key.utf8))
        }
    }

    static func hashedPart<Key: Collection<UInt8>>(of key: Key) -> Key.SubSequence {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")) else { return key[...] }
        let afterOpen = key.index(after: open)
        guard let close = key[afterOpen...].firstIndex(of: UInt8(ascii: "}")), close != afterOpen else { return key[...] }
        return key[afterOpen..<close]
    }

    /// CRC16-XMODEM (polynomial 0x1021, initial value 0), table-driven.
    static func crc16<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
        }
        return crc
    }

    private static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        return crc
    }

    public static func < (lhs: HashSlot, rhs: HashSlot) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}
