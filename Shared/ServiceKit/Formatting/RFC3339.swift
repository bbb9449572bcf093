import Foundation

/// RFC 3339 timestamps in UTC with milliseconds, `2024-05-01T12:30:00.123Z`: the form of every date in events and in
/// the API. Formatting and parsing are plain arithmetic (no calendar, locale or `printf`), since every message
/// carries dates through the hot path.
public enum RFC3339 {
    /// `date` rounded to the millisecond.
    public static func string(from date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (days, millisecondOfDay) = floorDivision(milliseconds, 86_400_000)
        let (year, month, day) = civil(fromDays: days)
        let time = Int(millisecondOfDay)
        var bytes = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int, _ digits: Int, at offset: Int) {
            var value = value
            for index in stride(from: offset + digits - 1, through: offset, by: -1) {
                bytes[index] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(Int(year), 4, at: 0)
        put(month, 2, at: 5)
        put(day, 2, at: 8)
        put(time / 3_600_000, 2, at: 11)
        put(time / 60_000 % 60, 2, at: 14)
        put(time / 1000 % 60, 2, at: 17)
        put(time % 1000, 3, at: 20)
        for (offset, separator) in [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "."), (23, "Z")] as [(Int, Unicode.Scalar)] {
            bytes[offset] = UInt8(ascii: separator)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The date of `text`: `YYYY-MM-DDTHH:MM:SS`, optional fraction, then `Z` or an offset `±HH:MM`. Nil for
    /// anything else.
    public static func date(from text: String) -> Date? {
        var text = text
        return text.withUTF8(parse)
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        guard bytes.count >= 20 else { return nil }
        func number(_ offset: Int, _ digits: Int) -> Int? {
            var value = 0
            for index in offset..<(offset + digits) {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ offset: Int, is character: Unicode.Scalar) -> Bool { bytes[offset] == UInt8(ascii: character) }
        guard let year = number(0, 4), byte(4, is: "-"), let month = number(5, 2), byte(7, is: "-"), let day = number(8, 2),
            byte(10, is: "T") || byte(10, is: "t"), let hour = number(11, 2), byte(13, is: ":"), let minute = number(14, 2),
            byte(16, is: ":"), let second = number(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction = 0.0
        var scale = 0.1
        if byte(index, is: ".") {
            index += 1
            let start = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                fraction += Double(bytes[index] - UInt8(ascii: "0")) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        if byte(index, is: "Z") || byte(index, is: "z") {
            index += 1
        } else if byte(index, is: "+") || byte(index, is: "-"), index + 6 == bytes.count,
            let hours = number(index + 1, 2), byte(index + 3, is: ":"), let minutes = number(index + 4, 2)
        {
            offsetSeconds = (hours * 3600 + minutes * 60) * (byte(index, is: "-") ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let days = days(fromCivil: Int64(year), month, day)
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        // Milliseconds are exact; finer fractions are kept as they come.
        return Date(timeIntervalSince1970: Double(seconds) + (fraction * 1000).rounded() / 1000)
    }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    /// Year, month and day of the `days`th day after 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm).
    private static func civil(fromDays days: Int64) -> (Int64, Int, Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days from 1970-01-01 to the given day (the inverse of ``civil(fromDays:)``).
    private static func days(fromCivil year: Int64, _ month: Int, _ day: Int) -> Int64 {
        let year = month <= 2 ? year - 1 : year
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let dayOfYear = Int64((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1)
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
