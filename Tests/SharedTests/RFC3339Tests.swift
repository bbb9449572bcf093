import Foundation
import ServiceKit
import Testing

/// The arithmetic timestamps against Foundation's ISO 8601 formatting and parsing.
struct RFC3339Tests {
    @Test func knownInstants() {
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 951_782_400.5)) == "2000-02-29T00:00:00.500Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 4_102_444_799.9994)) == "2099-12-31T23:59:59.999Z")
    }

    @Test func agreesWithFoundationOverManyInstants() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let milliseconds = Int64.random(in: -2_000_000_000_000...5_000_000_000_000, using: &generator)
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            let text = RFC3339.string(from: date)
            #expect(text == formatter.string(from: date), "\(milliseconds)")
            let parsed = try #require(RFC3339.date(from: text))
            #expect(Int64((parsed.timeIntervalSince1970 * 1000).rounded()) == milliseconds)
        }
    }

    @Test func parsesOffsetsAndFractionsAndRefusesTheRest() throws {
        let utc = try #require(RFC3339.date(from: "2024-05-01T12:30:00Z"))
        #expect(RFC3339.date(from: "2024-05-01T14:30:00+02:00") == utc)
        #expect(RFC3339.date(from: "2024-05-01T07:00:00-05:30") == utc)
        #expect(RFC3339.string(from: try #require(RFC3339.date(from: "2024-05-01T12:30:00.1Z"))) == "2024-05-01T12:30:00.100Z")
        #expect(RFC3339.string(from: try #require(RFC3339.date(from: "2024-05-01T12:30:00.123456Z"))) == "2024-05-01T12:30:00.123Z")
        for bad in [
            "", "2024-05-01", "2024-05-01T12:30:00", "2024-13-01T12:30:00Z", "2024-05-01T24:00:00Z", "2024-05-01T12:30:00.Z",
            "2024-05-01T12:30:00Zjunk", "2024-05-01 12:30:00Z", "2024-05-01T12:30:00+0200", "２０２４-05-01T12:30:00Z",
        ] {
            #expect(RFC3339.date(from: bad) == nil, "\(bad)")
        }
    }
}
