import CMongoC
import Foundation

/// A 12-byte BSON ObjectId.
///
/// Inside BSON documents it is stored as a native ObjectId; other encoders (JSON) see its 24-character hex form.
public struct ObjectId: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 12, "an ObjectId has 12 bytes")
        self.bytes = bytes
    }

    /// A new ObjectId from libbson: creation time in seconds, a per-process random value and a counter.
    public init() {
        var oid = bson_oid_t()
        bson_oid_init(&oid, nil)
        self.bytes = withUnsafeBytes(of: oid.bytes) { Array($0) }
    }

    /// Parses the 24-character hexadecimal form; `nil` for anything else.
    public init?(hex: String) {
        let characters = Array(hex.utf8)
        guard characters.count == 24 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12)
        for index in stride(from: 0, to: 24, by: 2) {
            guard let byte = UInt8(String(decoding: characters[index...index + 1], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        self.bytes = bytes
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let hex = try container.decode(String.self)
        guard let id = ObjectId(hex: hex) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(hex) is not a 24-digit hex ObjectId")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// ObjectIds order by their bytes, which starts with the creation time.
    public static func < (lhs: ObjectId, rhs: ObjectId) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    public var description: String { bytes.map { String(format: "%02x", $0) }.joined() }
}
