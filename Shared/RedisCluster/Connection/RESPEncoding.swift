import NIOCore

/// A command ready to send: its arguments as bytes, in one contiguous buffer.
///
/// Arguments are kept concatenated with their lengths, so that encoding needs no per-argument allocation.
public struct RedisCommand: Sendable {
    private(set) var bytes: [UInt8] = []
    private(set) var lengths: [Int] = []
    /// The keys the command touches; they decide which node serves it.
    public let keys: [String]

    /// A command whose `keys` (which must also appear in `arguments`) route it to a node.
    public init(_ arguments: [String], keys: [String] = []) {
        self.keys = keys
        bytes.reserveCapacity(arguments.reduce(0) { $0 + $1.utf8.count })
        lengths.reserveCapacity(arguments.count)
        for argument in arguments { append(argument) }
    }

    private mutating func append(_ argument: String) {
        let before = bytes.count
        bytes.append(contentsOf: argument.utf8)
        lengths.append(bytes.count - before)
    }

    /// The command name in upper case (`GET`, `SET`, …).
    public var name: String {
        guard let first = lengths.first else { return "" }
        return String(decoding: bytes[0..<first], as: UTF8.self).uppercased()
    }

    static let asking = RedisCommand(["ASKING"])
}

extension ByteBuffer {
    /// Appends `command` in RESP: `*<count>\r\n` and, per argument, `$<length>\r\n<bytes>\r\n`.
    mutating func writeRESP(_ command: RedisCommand) {
        writeInteger(UInt8(ascii: "*"))
        writeDecimal(command.lengths.count)
        writeStaticString("\r\n")
        var offset = 0
        command.bytes.withUnsafeBytes { bytes in
            for length in command.lengths {
                writeInteger(UInt8(ascii: "$"))
                writeDecimal(length)
                writeStaticString("\r\n")
                writeBytes(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]))
                writeStaticString("\r\n")
                offset += length
            }
        }
    }

    /// Appends `value`'s decimal digits.
    private mutating func writeDecimal(_ value: Int) {
        if value < 10 {
            writeInteger(UInt8(ascii: "0") + UInt8(value))
        } else {
            writeString(String(value))
        }
    }
}
