import NIOCore

/// A command ready to send, encoded in RESP once when it is made (`*<count>\r\n` and, per argument,
/// `$<length>\r\n<bytes>\r\n`), so that sending it is one copy.
public struct RedisCommand: Sendable {
    /// The whole command in RESP.
    let encoded: [UInt8]
    /// Where the first argument (the command's name) lies in ``encoded``.
    private let nameRange: Range<Int>
    /// The keys the command touches; they decide which node serves it.
    public let keys: [String]

    /// A command whose `keys` (which must also appear in `arguments`) route it to a node.
    public init(_ arguments: [String], keys: [String] = []) {
        self.keys = keys
        var size = 3 + Self.digitCount(arguments.count)
        for argument in arguments {
            let length = argument.utf8.count
            size += 5 + Self.digitCount(length) + length
        }
        var nameRange = 0..<0
        encoded = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var offset = 0
            func put(_ byte: UInt8) {
                buffer[offset] = byte
                offset += 1
            }
            func putDecimal(_ value: Int) {
                let digits = Self.digitCount(value)
                var rest = value
                for position in stride(from: offset + digits - 1, through: offset, by: -1) {
                    buffer[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                offset += digits
            }
            put(UInt8(ascii: "*"))
            putDecimal(arguments.count)
            put(UInt8(ascii: "\r"))
            put(UInt8(ascii: "\n"))
            for (index, argument) in arguments.enumerated() {
                put(UInt8(ascii: "$"))
                putDecimal(argument.utf8.count)
                put(UInt8(ascii: "\r"))
                put(UInt8(ascii: "\n"))
                let start = offset
                let copied = argument.utf8.withContiguousStorageIfAvailable { bytes in
                    _ = UnsafeMutableBufferPointer(rebasing: buffer[offset..<(offset + bytes.count)]).initialize(fromContentsOf: bytes)
                    offset += bytes.count
                }
                if copied == nil { for byte in argument.utf8 { put(byte) } }
                if index == 0 { nameRange = start..<offset }
                put(UInt8(ascii: "\r"))
                put(UInt8(ascii: "\n"))
            }
            initialized = offset
        }
        self.nameRange = nameRange
    }

    private static func digitCount(_ value: Int) -> Int {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        return digits
    }

    /// The command name in upper case (`GET`, `SET`, …).
    public var name: String {
        String(decoding: encoded[nameRange], as: UTF8.self).uppercased()
    }

    static let asking = RedisCommand(["ASKING"])
}

extension ByteBuffer {
    /// Appends `command` in RESP.
    mutating func writeRESP(_ command: RedisCommand) {
        writeBytes(command.encoded)
    }
}
