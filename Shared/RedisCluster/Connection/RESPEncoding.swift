import CHiredis
import NIOCore

/// A command ready to send: its arguments as bytes, in one contiguous buffer.
///
/// Arguments are kept concatenated with their lengths so that encoding through hiredis's formatter needs no
/// per-argument allocation.
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
    /// Appends `command` in RESP, formatted by hiredis.
    mutating func writeRESP(_ command: RedisCommand) {
        command.bytes.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!)
            var offset = 0
            var argv: [UnsafePointer<CChar>?] = command.lengths.map { length in
                defer { offset += length }
                return (base + offset).assumingMemoryBound(to: CChar.self)
            }
            var formatted: UnsafeMutablePointer<CChar>?
            let length = command.lengths.withUnsafeBufferPointer { lengths in
                redisFormatCommandArgv(&formatted, Int32(command.lengths.count), &argv, lengths.baseAddress)
            }
            guard length > 0, let formatted else { preconditionFailure("hiredis could not format a command") }
            writeBytes(UnsafeRawBufferPointer(start: formatted, count: Int(length)))
            redisFreeCommand(formatted)
        }
    }
}
