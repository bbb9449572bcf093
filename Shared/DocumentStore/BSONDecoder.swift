import Foundation

/// Decodes `Decodable` values from ``BSONDocument``s, the inverse of ``BSONEncoder``.
///
/// Numbers are decoded tolerantly: an integer field accepts int32, int64 or a whole double that fits the Swift type
/// (servers may narrow an int64 to int32 when it fits); a floating-point field accepts any of the three; a `Bool`
/// accepts a boolean or the integer 0 or 1 (what some servers store for a boolean written by an update). Everything
/// else must have its exact BSON type: a `Date` needs a BSON datetime, `Data` a binary, ``ObjectId`` an ObjectId.
/// A missing field and a null field both decode as `nil` for optionals.
public struct BSONDecoder: Sendable {
    public init() {}

    /// Decodes a `T` from `document`.
    public func decode<T: Decodable>(_ type: T.Type, from document: BSONDocument) throws -> T {
        try decode(type, fromValue: .document(document))
    }

    /// Decodes a `T` from any ``BSONValue``.
    public func decode<T: Decodable>(_ type: T.Type, fromValue value: BSONValue) throws -> T {
        try BSONDecoding.unbox(value, as: type, codingPath: [])
    }
}

/// The decoding machinery behind ``BSONDecoder``.
enum BSONDecoding {
    static func unbox<T: Decodable>(_ value: BSONValue, as type: T.Type, codingPath: [any CodingKey]) throws -> T {
        if type == BSONValue.self { return value as! T }
        if type == BSONDocument.self {
            guard case .document(let document) = value else { throw mismatch(type, value, codingPath) }
            return document as! T
        }
        if type == ObjectId.self {
            guard case .objectId(let id) = value else { throw mismatch(type, value, codingPath) }
            return id as! T
        }
        if type == Date.self {
            guard case .date(let date) = value else { throw mismatch(type, value, codingPath) }
            return date as! T
        }
        if type == Data.self {
            guard case .binary(let bytes) = value else { throw mismatch(type, value, codingPath) }
            return Data(bytes) as! T
        }
        return try T(from: Decoding(value: value, codingPath: codingPath))
    }

    static func mismatch(_ type: Any.Type, _ value: BSONValue, _ codingPath: [any CodingKey]) -> DecodingError {
        if value == .null {
            return .valueNotFound(type, .init(codingPath: codingPath, debugDescription: "expected \(type), found null"))
        }
        return .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "expected \(type), found \(value)"))
    }

    static func integer<T: FixedWidthInteger>(_ value: BSONValue, codingPath: [any CodingKey]) throws -> T {
        guard let wide = value.integerValue else { throw mismatch(T.self, value, codingPath) }
        guard let narrow = T(exactly: wide) else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "\(wide) does not fit \(T.self)"))
        }
        return narrow
    }

    static func double(_ value: BSONValue, codingPath: [any CodingKey]) throws -> Double {
        switch value {
        case .double(let number): number
        case .int32(let number): Double(number)
        case .int64(let number): Double(number)
        default: throw mismatch(Double.self, value, codingPath)
        }
    }

    static func primitive<T: Decodable>(_ value: BSONValue, as type: T.Type, codingPath: [any CodingKey]) throws -> T {
        switch type {
        case is Bool.Type:
            switch value {
            case .bool(let flag): return flag as! T
            // Some servers store a boolean written by an update as the integer 0 or 1 (the local stand-in does).
            case .int32(0), .int64(0): return false as! T
            case .int32(1), .int64(1): return true as! T
            default: throw mismatch(type, value, codingPath)
            }
        case is String.Type:
            guard case .string(let text) = value else { throw mismatch(type, value, codingPath) }
            return text as! T
        case is Double.Type: return try double(value, codingPath: codingPath) as! T
        case is Float.Type: return Float(try double(value, codingPath: codingPath)) as! T
        case is Int.Type: return try integer(value, codingPath: codingPath) as Int as! T
        case is Int8.Type: return try integer(value, codingPath: codingPath) as Int8 as! T
        case is Int16.Type: return try integer(value, codingPath: codingPath) as Int16 as! T
        case is Int32.Type: return try integer(value, codingPath: codingPath) as Int32 as! T
        case is Int64.Type: return try integer(value, codingPath: codingPath) as Int64 as! T
        case is UInt.Type: return try integer(value, codingPath: codingPath) as UInt as! T
        case is UInt8.Type: return try integer(value, codingPath: codingPath) as UInt8 as! T
        case is UInt16.Type: return try integer(value, codingPath: codingPath) as UInt16 as! T
        case is UInt32.Type: return try integer(value, codingPath: codingPath) as UInt32 as! T
        case is UInt64.Type: return try integer(value, codingPath: codingPath) as UInt64 as! T
        default: return try unbox(value, as: type, codingPath: codingPath)
        }
    }

    struct Decoding: Decoder {
        let value: BSONValue
        let codingPath: [any CodingKey]
        let userInfo: [CodingUserInfoKey: Any] = [:]

        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            guard case .document(let document) = value else { throw mismatch(BSONDocument.self, value, codingPath) }
            return KeyedDecodingContainer(KeyedContainer<Key>(document: document, codingPath: codingPath))
        }

        func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
            guard case .array(let elements) = value else { throw mismatch([BSONValue].self, value, codingPath) }
            return UnkeyedContainer(elements: elements, codingPath: codingPath)
        }

        func singleValueContainer() throws -> any SingleValueDecodingContainer {
            SingleValueContainer(value: value, codingPath: codingPath)
        }
    }

    struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let fields: [String: BSONValue]
        let codingPath: [any CodingKey]

        init(document: BSONDocument, codingPath: [any CodingKey]) {
            // The first occurrence wins, as in every MongoDB driver.
            self.fields = Dictionary(document.fields.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            self.codingPath = codingPath
        }

        var allKeys: [Key] { fields.keys.compactMap(Key.init(stringValue:)) }

        func contains(_ key: Key) -> Bool { fields[key.stringValue] != nil }

        private func value(_ key: Key) throws -> BSONValue {
            guard let value = fields[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no field \(key.stringValue)"))
            }
            return value
        }

        func decodeNil(forKey key: Key) throws -> Bool { (fields[key.stringValue] ?? .null) == .null }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try primitive(try value(key), as: type, codingPath: codingPath + [key])
        }

        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type, forKey key: Key
        ) throws -> KeyedDecodingContainer<NestedKey> {
            try Decoding(value: try value(key), codingPath: codingPath + [key]).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try Decoding(value: try value(key), codingPath: codingPath + [key]).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder {
            Decoding(value: fields["super"] ?? .null, codingPath: codingPath)
        }

        func superDecoder(forKey key: Key) throws -> any Decoder {
            Decoding(value: fields[key.stringValue] ?? .null, codingPath: codingPath + [key])
        }
    }

    struct UnkeyedContainer: UnkeyedDecodingContainer {
        let elements: [BSONValue]
        let codingPath: [any CodingKey]
        private(set) var currentIndex = 0

        init(elements: [BSONValue], codingPath: [any CodingKey]) {
            self.elements = elements
            self.codingPath = codingPath
        }

        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }
        private var path: [any CodingKey] { codingPath + [BSONEncoding.IndexKey(currentIndex)] }

        private mutating func next(_ type: Any.Type) throws -> BSONValue {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(type, .init(codingPath: path, debugDescription: "the array has no more elements"))
            }
            defer { currentIndex += 1 }
            return elements[currentIndex]
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, elements[currentIndex] == .null else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let elementPath = path
            return try primitive(try next(type), as: type, codingPath: elementPath)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            let elementPath = path
            return try Decoding(value: try next(BSONDocument.self), codingPath: elementPath).container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            let elementPath = path
            return try Decoding(value: try next([BSONValue].self), codingPath: elementPath).unkeyedContainer()
        }

        mutating func superDecoder() throws -> any Decoder {
            let elementPath = path
            return Decoding(value: try next(BSONValue.self), codingPath: elementPath)
        }
    }

    struct SingleValueContainer: SingleValueDecodingContainer {
        let value: BSONValue
        let codingPath: [any CodingKey]

        func decodeNil() -> Bool { value == .null }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try primitive(value, as: type, codingPath: codingPath)
        }
    }
}
