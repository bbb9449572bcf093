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
