import DocumentStore
import Foundation
import Testing

/// The Codable ⇄ BSON coders, without a server.
@Suite struct BSONCodingTests {
    struct Inner: Codable, Equatable {
        var name: String
        var values: [Int32]
    }
    enum Mood: String, Codable { case happy, sad }
    struct Sample: Codable, Equatable {
        var id: ObjectId
        var wide: Int64
        var plain: Int
        var narrow: Int16
        var unsigned: UInt32
        var real: Double
        var single: Float
        var flag: Bool
        var text: String
        var when: Date
        var bytes: Data
        var uuid: UUID
        var mood: Mood
        var inner: Inner
        var list: [Inner]
        var nested: [[String]]
        var map: [String: Int]
        var none: String?
        var some: Int?
    }

    static let sample = Sample(
        id: ObjectId(), wide: .max, plain: -3, narrow: 12, unsigned: .max, real: 2.5, single: 0.5, flag: false, text: "t",
        when: Date(timeIntervalSince1970: 1_600_000_000.5), bytes: Data([9, 8]), uuid: UUID(), mood: .sad,
        inner: Inner(name: "n", values: [1, 2]), list: [Inner(name: "a", values: [])], nested: [["x"], []],
        map: ["k": 1], none: nil, some: 4)

    @Test func everySupportedTypeRoundTripsWithItsNativeBSONType() throws {
        let document = try BSONEncoder().encode(Self.sample)
        #expect(document["id"] == .objectId(Self.sample.id))
        #expect(document["wide"] == .int64(.max))
        #expect(document["plain"] == .int64(-3))
        #expect(document["narrow"] == .int32(12))
        #expect(document["unsigned"] == .int64(Int64(UInt32.max)))
        #expect(document["when"] == .date(Self.sample.when))
        #expect(document["bytes"] == .binary([9, 8]))
        #expect(document["uuid"] == .string(Self.sample.uuid.uuidString))
        #expect(document["mood"] == .string("sad"))
        #expect(document["inner"] == .document(["name": .string("n"), "values": .array([.int32(1), .int32(2)])]))
        #expect(document["none"] == nil)
        #expect(document.fields.first?.key == "id")
        #expect(try BSONDecoder().decode(Sample.self, from: document) == Self.sample)
    }

    @Test func integersDecodeFromAnyWholeNumberThatFits() throws {
        struct Numbers: Decodable {
            var a: Int64
            var b: Int
            var c: UInt8
            var d: Double
        }
        let decoded = try BSONDecoder().decode(Numbers.self, from: ["a": .int32(7), "b": .double(8), "c": .int64(255), "d": .int32(3)])
        #expect((decoded.a, decoded.b, decoded.c, decoded.d) == (7, 8, 255, 3))
        #expect(throws: DecodingError.self) {
            try BSONDecoder().decode(Numbers.self, from: ["a": .double(1.5), "b": .int32(0), "c": .int32(0), "d": .int32(0)])
        }
        #expect(throws: DecodingError.self) {
            try BSONDecoder().decode(Numbers.self, from: ["a": .int32(1), "b": .int32(0), "c": .int32(256), "d": .int32(0)])
        }
        #expect(throws: DecodingError.self) {
            try BSONDecoder().decode(Numbers.self, from: ["a": .string("1"), "b": .int32(0), "c": .int32(0), "d": .int32(0)])
        }
    }

    @Test func booleansDecodeFromTrueFalseAndFromTheIntegersZeroAndOne() throws {
        struct Flags: Decodable {
            var a: Bool
            var b: Bool
            var c: Bool
            var d: Bool
        }
        let decoded = try BSONDecoder().decode(Flags.self, from: ["a": .bool(true), "b": .int32(0), "c": .int64(1), "d": .int32(1)])
        #expect((decoded.a, decoded.b, decoded.c, decoded.d) == (true, false, true, true))
        struct Flag: Decodable { var a: Bool }
        for value: BSONValue in [.int32(2), .int64(-1), .double(1), .string("true"), .null] {
            #expect(throws: DecodingError.self) { try BSONDecoder().decode(Flag.self, from: ["a": value]) }
        }
    }

    @Test func nullAndMissingBothDecodeAsNilButNotAsAValue() throws {
        struct Optionals: Decodable {
            var a: String?
            var b: String?
        }
        let decoded = try BSONDecoder().decode(Optionals.self, from: ["a": .null])
        #expect(decoded.a == nil && decoded.b == nil)
        struct Required: Decodable { var a: String }
        #expect(throws: DecodingError.self) { try BSONDecoder().decode(Required.self, from: ["a": .null]) }
        #expect(throws: DecodingError.self) { try BSONDecoder().decode(Required.self, from: [:]) }
        // Dates need a BSON datetime: a string (what some servers store for `$set` of a date) is refused.
        struct Dated: Decodable { var at: Date }
        #expect(throws: DecodingError.self) { try BSONDecoder().decode(Dated.self, from: ["at": .string("2024-01-01T00:00:00Z")]) }
    }

    @Test func filtersAndUpdatesKeepValuesAsData() throws {
        let filter = try DocumentFilter.equal("conversation", "c1") && .greaterThan("seq", Int64(5)) && .lessThan("seq", Int64(9))
        #expect(
            filter.document == [
                "conversation": .document(["$eq": .string("c1")]),
                "seq": .document(["$gt": .int64(5), "$lt": .int64(9)]),
            ])
        let update = try DocumentUpdate.set("title", "{\"$gt\": 1}").increment("edits", by: 1).unset("draft")
        #expect(
            update.document == [
                "$set": .document(["title": .string("{\"$gt\": 1}")]),
                "$inc": .document(["edits": .int64(1)]),
                "$unset": .document(["draft": .string("")]),
            ])
    }
}
