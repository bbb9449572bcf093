import Foundation

/// Encodes `Encodable` values as ``BSONDocument``s without losing types.
///
/// Mapping: `Int`, `Int64`, `UInt32` → int64; `Int32` and smaller integers → int32; `Double`, `Float` → double;
/// `Date` → UTC datetime (millisecond precision); `Data` → binary; ``ObjectId`` → ObjectId; nested `Encodable`
/// values → documents; arrays and sets → arrays; `nil` → absent field (synthesised `Codable`) or null.
/// ``BSONValue`` and ``BSONDocument`` values are stored as they are.
public struct BSONEncoder: Sendable {
    public init() {}

    /// Encodes `value`, which must encode as a keyed container (a struct or class), into a document.
    public func encode<T: Encodable>(_ value: T) throws -> BSONDocument {
        guard case .document(let document) = try encodeValue(value) else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "\(T.self) does not encode as a BSON document"))
        }
        return document
    }

    /// Encodes any `Encodable` value (a document, an array or a single value) as a ``BSONValue``.
    public func encodeValue<T: Encodable>(_ value: T) throws -> BSONValue {
        try BSONEncoding.encodeAny(value, codingPath: [])
    }
}

/// The encoding machinery behind ``BSONEncoder``.
enum BSONEncoding {
    /// Encodes one value, storing the types BSON knows natively as themselves.
    static func encodeAny<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws -> BSONValue {
        switch value {
        case let value as BSONValue: return value
        case let value as BSONDocument: return .document(value)
        case let value as ObjectId: return .objectId(value)
        case let value as Date: return .date(value)
        case let value as Data: return .binary(Array(value))
        default:
            let encoder = Encoding(codingPath: codingPath)
            try value.encode(to: encoder)
            return encoder.slot?.value ?? .document(BSONDocument())
        }
    }

    /// Where an encoder's containers put what they encode; resolved into a ``BSONValue`` once encoding finished.
    enum Slot {
        case value(BSONValue)
        case document(DocumentBox)
        case array(ArrayBox)
        case encoder(Encoding)

        var value: BSONValue {
            switch self {
            case .value(let value): value
            case .document(let box): .document(BSONDocument(box.fields.map { (key: $0.key, value: $0.slot.value) }))
            case .array(let box): .array(box.elements.map(\.value))
            case .encoder(let encoder): encoder.slot?.value ?? .document(BSONDocument())
            }
        }
    }

    final class DocumentBox {
        var fields: [(key: String, slot: Slot)] = []

        func set(_ slot: Slot, for key: String) {
            if let index = fields.firstIndex(where: { $0.key == key }) {
                fields[index].slot = slot
            } else {
                fields.append((key: key, slot: slot))
            }
        }
    }

    final class ArrayBox {
        var elements: [Slot] = []
    }

    struct IndexKey: CodingKey {
        let intValue: Int?
        let stringValue: String
        init(_ index: Int) {
            self.intValue = index
            self.stringValue = String(index)
        }
        init?(intValue: Int) { self.init(intValue) }
        init?(stringValue: String) { nil }
    }

    static func integer<T: FixedWidthInteger>(_ value: T, codingPath: [any CodingKey]) throws -> BSONValue {
        if T.bitWidth <= 32, let small = Int32(exactly: value) { return .int32(small) }
        guard let large = Int64(exactly: value) else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "\(value) does not fit a BSON int64"))
        }
        return .int64(large)
    }

    final class Encoding: Encoder {
        let codingPath: [any CodingKey]
        let userInfo: [CodingUserInfoKey: Any] = [:]
        var slot: Slot?

        init(codingPath: [any CodingKey]) { self.codingPath = codingPath }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            let box: DocumentBox
            if case .document(let existing) = slot {
                box = existing
            } else {
                box = DocumentBox()
                slot = .document(box)
            }
            return KeyedEncodingContainer(KeyedContainer<Key>(box: box, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            let box: ArrayBox
            if case .array(let existing) = slot {
                box = existing
            } else {
                box = ArrayBox()
                slot = .array(box)
            }
            return UnkeyedContainer(box: box, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { SingleValueContainer(encoder: self) }
    }

    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let box: DocumentBox
        let codingPath: [any CodingKey]

        private func set(_ value: BSONValue, _ key: Key) { box.set(.value(value), for: key.stringValue) }

        mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
        mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
        mutating func encode(_ value: Double, forKey key: Key) throws { set(.double(value), key) }
        mutating func encode(_ value: Float, forKey key: Key) throws { set(.double(Double(value)), key) }
        mutating func encode(_ value: Int, forKey key: Key) throws { set(.int64(Int64(value)), key) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { set(.int32(Int32(value)), key) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { set(.int32(Int32(value)), key) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { set(.int32(value), key) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { set(.int64(value), key) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { set(try BSONEncoding.integer(value, codingPath: codingPath + [key]), key) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { set(.int32(Int32(value)), key) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { set(.int32(Int32(value)), key) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { set(.int64(Int64(value)), key) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { set(try BSONEncoding.integer(value, codingPath: codingPath + [key]), key) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            set(try BSONEncoding.encodeAny(value, codingPath: codingPath + [key]), key)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type, forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            let nested = DocumentBox()
            box.set(.document(nested), for: key.stringValue)
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested, codingPath: codingPath + [key]))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let nested = ArrayBox()
            box.set(.array(nested), for: key.stringValue)
            return UnkeyedContainer(box: nested, codingPath: codingPath + [key])
        }

        mutating func superEncoder() -> any Encoder { superEncoder(forKey: Key(stringValue: "super")!) }

        mutating func superEncoder(forKey key: Key) -> any Encoder {
            let encoder = Encoding(codingPath: codingPath + [key])
            box.set(.encoder(encoder), for: key.stringValue)
            return encoder
        }
    }

    struct UnkeyedContainer: UnkeyedEncodingContainer {
        let box: ArrayBox
        let codingPath: [any CodingKey]
        var count: Int { box.elements.count }
        private var nextPath: [any CodingKey] { codingPath + [IndexKey(count)] }

        private func append(_ value: BSONValue) { box.elements.append(.value(value)) }

        mutating func encodeNil() throws { append(.null) }
        mutating func encode(_ value: Bool) throws { append(.bool(value)) }
        mutating func encode(_ value: String) throws { append(.string(value)) }
        mutating func encode(_ value: Double) throws { append(.double(value)) }
        mutating func encode(_ value: Float) throws { append(.double(Double(value))) }
        mutating func encode(_ value: Int) throws { append(.int64(Int64(value))) }
        mutating func encode(_ value: Int8) throws { append(.int32(Int32(value))) }
        mutating func encode(_ value: Int16) throws { append(.int32(Int32(value))) }
        mutating func encode(_ value: Int32) throws { append(.int32(value)) }
        mutating func encode(_ value: Int64) throws { append(.int64(value)) }
        mutating func encode(_ value: UInt) throws { append(try BSONEncoding.integer(value, codingPath: nextPath)) }
        mutating func encode(_ value: UInt8) throws { append(.int32(Int32(value))) }
        mutating func encode(_ value: UInt16) throws { append(.int32(Int32(value))) }
        mutating func encode(_ value: UInt32) throws { append(.int64(Int64(value))) }
        mutating func encode(_ value: UInt64) throws { append(try BSONEncoding.integer(value, codingPath: nextPath)) }
        mutating func encode<T: Encodable>(_ value: T) throws { append(try BSONEncoding.encodeAny(value, codingPath: nextPath)) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let nested = DocumentBox()
            let path = nextPath
            box.elements.append(.document(nested))
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested, codingPath: path))
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let nested = ArrayBox()
            let path = nextPath
            box.elements.append(.array(nested))
            return UnkeyedContainer(box: nested, codingPath: path)
        }

        mutating func superEncoder() -> any Encoder {
            let encoder = Encoding(codingPath: nextPath)
            box.elements.append(.encoder(encoder))
            return encoder
        }
    }

    struct SingleValueContainer: SingleValueEncodingContainer {
        let encoder: Encoding
        var codingPath: [any CodingKey] { encoder.codingPath }

        private func set(_ value: BSONValue) { encoder.slot = .value(value) }

        mutating func encodeNil() throws { set(.null) }
        mutating func encode(_ value: Bool) throws { set(.bool(value)) }
        mutating func encode(_ value: String) throws { set(.string(value)) }
        mutating func encode(_ value: Double) throws { set(.double(value)) }
        mutating func encode(_ value: Float) throws { set(.double(Double(value))) }
        mutating func encode(_ value: Int) throws { set(.int64(Int64(value))) }
        mutating func encode(_ value: Int8) throws { set(.int32(Int32(value))) }
        mutating func encode(_ value: Int16) throws { set(.int32(Int32(value))) }
        mutating func encode(_ value: Int32) throws { set(.int32(value)) }
        mutating func encode(_ value: Int64) throws { set(.int64(value)) }
        mutating func encode(_ value: UInt) throws { set(try BSONEncoding.integer(value, codingPath: codingPath)) }
        mutating func encode(_ value: UInt8) throws { set(.int32(Int32(value))) }
        mutating func encode(_ value: UInt16) throws { set(.int32(Int32(value))) }
        mutating func encode(_ value: UInt32) throws { set(.int64(Int64(value))) }
        mutating func encode(_ value: UInt64) throws { set(try BSONEncoding.integer(value, codingPath: codingPath)) }
        mutating func encode<T: Encodable>(_ value: T) throws { set(try BSONEncoding.encodeAny(value, codingPath: codingPath)) }
    }
}
