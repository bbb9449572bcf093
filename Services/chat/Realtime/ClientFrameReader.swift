import NIOCore

/// Reads the common client frames without `JSONDecoder`: an object of the frame's own fields holding plain values
/// (strings without escapes, integers, `null`, arrays of such strings). Anything else — an escape, a number with a
/// fraction, a field the frame does not have, a repeated field, `sync`'s map — is left to `JSONDecoder`, which then
/// gives the same frame or the error. Decoding every `send` with `JSONDecoder` was 3 % of chat's CPU at 1,000
/// messages/s.
struct ClientFrameReader {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    private init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The frame in `text`, or nil when `JSONDecoder` must read it.
    static func frame(in text: ByteBuffer) -> ClientFrame? {
        text.withUnsafeReadableBytes { bytes in
            var reader = ClientFrameReader(bytes)
            return reader.object()
        }
    }

    private mutating func object() -> ClientFrame? {
        var type: String??
        var ref: String??
        var conversationId: String??
        var clientMessageId: String??
        var body: String??
        var attachmentIds: [String]??
        var replyToSeq: Int64??
        var state: String??
        var seq: Int64??
        var accessToken: String??
        guard take(UInt8(ascii: "{")) else { return nil }
        repeat {
            guard let key = string() else { return nil }
            guard take(UInt8(ascii: ":")) else { return nil }
            // Each field once (a second one is JSONDecoder's to judge), and a value that does not read gives up.
            switch key {
            case "type" where type == nil: guard Self.assign(optionalString(), to: &type) else { return nil }
            case "ref" where ref == nil: guard Self.assign(optionalString(), to: &ref) else { return nil }
            case "conversationId" where conversationId == nil: guard Self.assign(optionalString(), to: &conversationId) else { return nil }
            case "clientMessageId" where clientMessageId == nil: guard Self.assign(optionalString(), to: &clientMessageId) else { return nil }
            case "body" where body == nil: guard Self.assign(optionalString(), to: &body) else { return nil }
            case "attachmentIds" where attachmentIds == nil: guard Self.assign(optionalStrings(), to: &attachmentIds) else { return nil }
            case "replyToSeq" where replyToSeq == nil: guard Self.assign(optionalInteger(), to: &replyToSeq) else { return nil }
            case "state" where state == nil: guard Self.assign(optionalString(), to: &state) else { return nil }
            case "seq" where seq == nil: guard Self.assign(optionalInteger(), to: &seq) else { return nil }
            case "accessToken" where accessToken == nil: guard Self.assign(optionalString(), to: &accessToken) else { return nil }
            default:
                return nil
            }
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")), atEnd, let type, let type else { return nil }
        return ClientFrame(
            type: type, ref: ref ?? nil, conversationId: conversationId ?? nil, clientMessageId: clientMessageId ?? nil,
            body: body ?? nil, attachmentIds: attachmentIds ?? nil, replyToSeq: replyToSeq ?? nil, conversations: nil,
            state: state ?? nil, seq: seq ?? nil, accessToken: accessToken ?? nil)
    }

    /// Stores a value that read (`.some`, possibly `null`) in its field; false when it did not read.
    private static func assign<Value>(_ value: Value??, to field: inout Value??) -> Bool {
        guard let value else { return false }
        field = value
        return true
    }

    // MARK: Values

    /// A string without escapes or control characters, in valid UTF-8.
    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                skipSpace()
                return text
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            index += 1
        }
        return nil
    }

    /// `.some(nil)` for `null`, `.some(text)` for a plain string, nil for anything else.
    private mutating func optionalString() -> String?? {
        if takeNull() { return .some(nil) }
        return string().map { .some($0) }
    }

    private mutating func optionalStrings() -> [String]?? {
        if takeNull() { return .some(nil) }
        guard take(UInt8(ascii: "[")) else { return nil }
        var values: [String] = []
        if take(UInt8(ascii: "]")) { return .some(values) }
        repeat {
            guard let value = string() else { return nil }
            values.append(value)
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]")) ? .some(values) : nil
    }

    /// An integer in JSON's form (no leading zero, no fraction or exponent) that fits in 64 bits.
    private mutating func optionalInteger() -> Int64?? {
        if takeNull() { return .some(nil) }
        let negative = take(UInt8(ascii: "-"), skippingSpace: false)
        let start = index
        var value: Int64 = 0
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            let digit = Int64(bytes[index] - UInt8(ascii: "0"))
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflow, !carry else { return nil }
            value = sum
            index += 1
        }
        let digits = index - start
        guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] | 0x20 == UInt8(ascii: "e") { return nil }
        skipSpace()
        return .some(value)
    }

    // MARK: Tokens

    private mutating func takeNull() -> Bool {
        guard bytes.count - index >= 4, bytes[index] == UInt8(ascii: "n"), bytes[index + 1] == UInt8(ascii: "u"),
            bytes[index + 2] == UInt8(ascii: "l"), bytes[index + 3] == UInt8(ascii: "l")
        else { return false }
        index += 4
        skipSpace()
        return true
    }

    /// Takes `byte` (after any whitespace) and the whitespace after it.
    private mutating func take(_ byte: UInt8, skippingSpace: Bool = true) -> Bool {
        if skippingSpace { skipSpace() }
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        if skippingSpace { skipSpace() }
        return true
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private var atEnd: Bool {
        index == bytes.count
    }
}
