import CMongoC
import Foundation

/// Conversion between ``BSONDocument`` and libbson's `bson_t`.
enum LibBSON {
    /// Builds a `bson_t` for `document`, passes it to `body` and frees it afterwards.
    static func withBSON<R>(_ document: BSONDocument, _ body: (OpaquePointer) throws -> R) rethrows -> R {
        let native = makeBSON(document)
        defer { bson_destroy(native) }
        return try body(native)
    }

    /// A new `bson_t` holding `document`; the caller frees it with `bson_destroy`.
    static func makeBSON(_ document: BSONDocument) -> OpaquePointer {
        let native = bson_new()!
        append(document, to: native)
        return native
    }

    /// Runs `body` with storage for a reply `bson_t`, then reads what libmongoc wrote into it.
    ///
    /// libmongoc initialises reply arguments itself ("overwritable storage"), so they must not come from `bson_new`,
    /// whose heap header would be overwritten and leak: they live in aligned stack-like storage of their own.
    static func withReply<R>(_ body: (OpaquePointer) throws -> R) rethrows -> (R, BSONDocument) {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: bsonByteCount, alignment: 128)
        defer { memory.deallocate() }
        let reply = OpaquePointer(memory)
        bson_init(reply)
        defer { bson_destroy(reply) }
        let result = try body(reply)
        return (result, document(from: reply))
    }

    /// `sizeof(bson_t)` in libbson 1.x (declared over-aligned, so Swift cannot compute it).
    private static let bsonByteCount = 128

    private static func append(_ document: BSONDocument, to native: OpaquePointer) {
        for field in document.fields { append(field.value, key: field.key, to: native) }
    }

    private static func append(_ value: BSONValue, key: String, to native: OpaquePointer) {
        let keyLength = Int32(key.utf8.count)
        switch value {
        case .double(let number): bson_append_double(native, key, keyLength, number)
        case .string(let text): bson_append_utf8(native, key, keyLength, text, Int32(text.utf8.count))
        case .document(let child):
            withBSON(child) { _ = bson_append_document(native, key, keyLength, $0) }
        case .array(let elements):
            let child = bson_new()!
            defer { bson_destroy(child) }
            for (index, element) in elements.enumerated() { append(element, key: String(index), to: child) }
            bson_append_array(native, key, keyLength, child)
        case .binary(let bytes):
            bytes.withUnsafeBufferPointer {
                _ = bson_append_binary(native, key, keyLength, BSON_SUBTYPE_BINARY, $0.baseAddress, UInt32($0.count))
            }
        case .objectId(let id):
            var oid = bson_oid_t()
            withUnsafeMutableBytes(of: &oid.bytes) { $0.copyBytes(from: id.bytes) }
            bson_append_oid(native, key, keyLength, &oid)
        case .bool(let flag): bson_append_bool(native, key, keyLength, flag)
        case .date(let date):
            bson_append_date_time(native, key, keyLength, Int64((date.timeIntervalSince1970 * 1000).rounded()))
        case .null: bson_append_null(native, key, keyLength)
        case .int32(let number): bson_append_int32(native, key, keyLength, number)
        case .int64(let number): bson_append_int64(native, key, keyLength, number)
        }
    }

    /// Reads a `bson_t` into a ``BSONDocument``; types the product does not use (regex, decimal128, …) are skipped.
    static func document(from native: OpaquePointer) -> BSONDocument {
        withIterator { iterator in
            guard bson_iter_init(iterator, native) else { return BSONDocument() }
            return document(iterating: iterator)
        }
    }

    /// libbson declares `bson_iter_t` over-aligned, so Swift sees it as opaque: give it aligned heap memory.
    private static func withIterator<R>(_ body: (OpaquePointer) -> R) -> R {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: iteratorByteCount, alignment: 128)
        defer { memory.deallocate() }
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: iteratorByteCount)
        return body(OpaquePointer(memory))
    }

    /// Comfortably above `sizeof(bson_iter_t)` (80 bytes in libbson 1.x).
    private static let iteratorByteCount = 256

    private static func document(iterating iterator: OpaquePointer) -> BSONDocument {
        var fields: [(key: String, value: BSONValue)] = []
        while bson_iter_next(iterator) {
            let key = String(cString: bson_iter_key(iterator))
            if let value = value(at: iterator) { fields.append((key: key, value: value)) }
        }
        return BSONDocument(fields)
    }

    private static func value(at iterator: OpaquePointer) -> BSONValue? {
        switch bson_iter_type(iterator) {
        case BSON_TYPE_DOUBLE: return .double(bson_iter_double(iterator))
        case BSON_TYPE_UTF8:
            var length: UInt32 = 0
            let pointer = bson_iter_utf8(iterator, &length)!
            return .string(String(decoding: UnsafeRawBufferPointer(start: pointer, count: Int(length)), as: UTF8.self))
        case BSON_TYPE_DOCUMENT, BSON_TYPE_ARRAY:
            let isArray = bson_iter_type(iterator) == BSON_TYPE_ARRAY
            return withIterator { child in
                guard bson_iter_recurse(iterator, child) else { return nil }
                let nested = document(iterating: child)
                return isArray ? .array(nested.fields.map(\.value)) : .document(nested)
            }
        case BSON_TYPE_BINARY:
            var subtype = BSON_SUBTYPE_BINARY
            var length: UInt32 = 0
            var data: UnsafePointer<UInt8>?
            bson_iter_binary(iterator, &subtype, &length, &data)
            return .binary(data.map { Array(UnsafeBufferPointer(start: $0, count: Int(length))) } ?? [])
        case BSON_TYPE_OID:
            let oid = bson_iter_oid(iterator)!.pointee
            return .objectId(ObjectId(bytes: withUnsafeBytes(of: oid.bytes) { Array($0) }))
        case BSON_TYPE_BOOL: return .bool(bson_iter_bool(iterator))
        case BSON_TYPE_DATE_TIME:
            return .date(Date(timeIntervalSince1970: Double(bson_iter_date_time(iterator)) / 1000))
        case BSON_TYPE_NULL: return .null
        case BSON_TYPE_INT32: return .int32(bson_iter_int32(iterator))
        case BSON_TYPE_INT64: return .int64(bson_iter_int64(iterator))
        default: return nil
        }
    }
}
