import Foundation

/// A BSON value as the product stores it in DocumentDB.
public enum BSONValue: Sendable, Equatable {
    case double(Double)
    case string(String)
    case document(BSONDocument)
    case array([BSONValue])
    case binary([UInt8])
    case objectId(ObjectId)
    case bool(Bool)
    /// A UTC datetime, millisecond precision.
    case date(Date)
    case null
    case int32(Int32)
    case int64(Int64)

    /// The value as an integer, tolerating the int32/int64/double encodings a server may choose for whole numbers.
    public var integerValue: Int64? {
        switch self {
        case .int32(let value): Int64(value)
        case .int64(let value): value
        case .double(let value) where value.rounded() == value && abs(value) < 9.0e15: Int64(value)
        default: nil
        }
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}

/// A 12-byte BSON ObjectId.
public struct ObjectId: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 12, "an ObjectId has 12 bytes")
        self.bytes = bytes
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

    public var description: String { bytes.map { String(format: "%02x", $0) }.joined() }
}
