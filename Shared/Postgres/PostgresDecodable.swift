import Foundation

/// A Swift type that a column's value (in PostgreSQL's text format) decodes into; see ``PostgresRow/decode(_:as:)``.
///
/// | Swift | Column types |
/// | --- | --- |
/// | `String` | any (its text form) |
/// | `Int`, `Int64`, `Int32`, `Int16` | int2, int4, int8, oid |
/// | `Double` | float4, float8, numeric, integers |
/// | `Bool` | bool |
/// | `UUID` | uuid |
/// | `Date` | timestamptz (and timestamp, date, read as UTC) |
/// | `Data` | bytea (its bytes), json and jsonb (their UTF-8 text) |
///
/// Values of other column types are refused with a ``PostgresError/Kind/decoding`` error naming the column, its type
/// and the Swift type, rather than guessed at. JSON columns also decode into any `Decodable` through
/// ``PostgresRow/decodeJSON(_:as:decoder:)``.
public protocol PostgresDecodable: Sendable {
    /// The value for `text` read from a column of `type`; `nil` when the column type or the text does not fit.
    static func decode(postgresText text: String, type: PostgresDataType) -> Self?
}

extension String: PostgresDecodable {
    public static func decode(postgresText text: String, type: PostgresDataType) -> String? { text }
}

extension Int: PostgresDecodable {
    public static func decode(postgresText text: String, type: PostgresDataType) -> Int? { type.isInteger ? Int(text) : nil }
}

extension Int64: PostgresDecodable {
    public static func decode(postgresText text: String, type: PostgresDataType) -> Int64? { type.isInteger ? Int64(text) : nil }
}

extension Int32: PostgresDecodable {
    public static func decode(postgresText text: String, type: PostgresDataType) -> Int32? { type.isInteger ? Int32(text) : nil }
}

extension Int16: PostgresDecodable {
    public static func decode(postgresText text: String, type: PostgresDataType) -> Int16? { type.isInteger ? Int16(text) : nil }
}

extension Double: PostgresDecodable {
    public static func decode(postgresText text: String, type: PostgresDataType) -> Double? {
        type == .float4 || type == .float8 || type == .numeric || type.isInteger ? Double(text) : nil
    }
}

extension Bool: PostgresDecodable {
    public static func decode(postgresText text: String, type: PostgresDataType) -> Bool? {
        guard type == .bool else { return nil }
        return switch text {
        case "t": true
        case "f": false
        default: nil
        }
    }
}

extension UUID: PostgresDecodable {
    public static func decode(postgresText text: String, type: PostgresDataType) -> UUID? {
        type == .uuid ? UUID(uuidString: text) : nil
    }
}

extension Data: PostgresDecodable {
    public static func decode(postgresText text: String, type: PostgresDataType) -> Data? {
        if type.isJSON { return Data(text.utf8) }
        guard type == .bytea else { return nil }
        // bytea's hex output format: `\x` then two hex digits per byte.
        let digits = Array(text.utf8)
        guard digits.count >= 2, digits[0] == UInt8(ascii: "\\"), digits[1] == UInt8(ascii: "x"), digits.count % 2 == 0 else { return nil }
        var bytes = Data(capacity: (digits.count - 2) / 2)
        var index = 2
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension Date: PostgresDecodable {
    /// Reads the ISO output of timestamptz (`2024-05-01 12:30:00.123456+00`), timestamp and date; every connection
    /// of ``PostgresClient`` uses `DateStyle=ISO` and `TimeZone=UTC`. `infinity` and BC dates are refused.
    public static func decode(postgresText text: String, type: PostgresDataType) -> Date? {
        guard type == .timestamptz || type == .timestamp || type == .date else { return nil }
        return PostgresTimestamp.parse(text)
    }
}

/// The parser of PostgreSQL's ISO timestamp output.
enum PostgresTimestamp {
    static func parse(_ text: String) -> Date? {
        var scanner = Substring(text)
        func number(_ digits: Int) -> Int? {
            guard scanner.count >= digits, let value = Int(scanner.prefix(digits)), scanner.prefix(digits).allSatisfy(\.isASCII)
            else { return nil }
            scanner = scanner.dropFirst(digits)
            return value
        }
        func skip(_ character: Character) -> Bool {
            guard scanner.first == character else { return false }
            scanner = scanner.dropFirst()
            return true
        }
        guard let year = number(4), skip("-"), let month = number(2), skip("-"), let day = number(2) else { return nil }
        var hour = 0
        var minute = 0
        var second = 0
        var fraction = 0.0
        var offsetSeconds = 0
        if skip(" ") {
            guard let h = number(2), skip(":"), let m = number(2), skip(":"), let s = number(2) else { return nil }
            (hour, minute, second) = (h, m, s)
            if skip(".") {
                let digits = scanner.prefix { $0.isASCII && $0.isNumber }
                guard !digits.isEmpty, let value = Double("0." + digits) else { return nil }
                fraction = value
                scanner = scanner.dropFirst(digits.count)
            }
            if let sign = scanner.first, sign == "+" || sign == "-" {
                scanner = scanner.dropFirst()
                guard let offsetHours = number(2) else { return nil }
                var offset = offsetHours * 3600
                if skip(":") {
                    guard let offsetMinutes = number(2) else { return nil }
                    offset += offsetMinutes * 60
                    if skip(":") {
                        guard let offsetSecondsPart = number(2) else { return nil }
                        offset += offsetSecondsPart
                    }
                }
                offsetSeconds = sign == "+" ? offset : -offset
            }
        }
        guard scanner.isEmpty, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var components = DateComponents()
        (components.year, components.month, components.day) = (year, month, day)
        (components.hour, components.minute, components.second) = (hour, minute, second)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let whole = calendar.date(from: components) else { return nil }
        return whole.addingTimeInterval(fraction - Double(offsetSeconds))
    }
}
