import NIOCore

/// Where the frames of a WebSocket byte stream end, read from their headers alone (payloads are counted, not
/// kept): the gateway relays chat's bytes without framing them, and needs a frame boundary only to put a close frame
/// of its own between two of chat's frames (``RelayShutdownHandler``).
struct FrameBoundaries {
    /// The bytes of a header not yet complete.
    private var header: [UInt8] = []
    /// Payload bytes of the current frame still to come.
    private var payloadLeft = 0

    /// Whether the bytes read so far end with a whole frame.
    var atBoundary: Bool { header.isEmpty && payloadLeft == 0 }

    /// Reads `bytes` and returns how many of them it read: all of them, or, with `stoppingAtBoundary`, those up to
    /// the first frame boundary (0 when the stream is at a boundary already).
    mutating func read(_ bytes: ByteBufferView, stoppingAtBoundary: Bool = false) -> Int {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if stoppingAtBoundary, atBoundary { break }
            if payloadLeft > 0 {
                let taken = min(payloadLeft, bytes.endIndex - index)
                payloadLeft -= taken
                index += taken
                continue
            }
            header.append(bytes[index])
            index += 1
            if let length = Self.payloadLength(header) {
                header.removeAll(keepingCapacity: true)
                payloadLeft = length
            }
        }
        return index - bytes.startIndex
    }

    /// The payload length of a complete `header`; nil while bytes of it are missing.
    private static func payloadLength(_ header: [UInt8]) -> Int? {
        guard header.count >= 2 else { return nil }
        let masked = header[1] & 0x80 != 0
        let shortLength = Int(header[1] & 0x7F)
        let extendedBytes = shortLength == 126 ? 2 : shortLength == 127 ? 8 : 0
        guard header.count == 2 + extendedBytes + (masked ? 4 : 0) else { return nil }
        guard extendedBytes > 0 else { return shortLength }
        // A 64-bit length beyond Int is no real frame: it cannot end, so treat it as one that never does.
        return header[2..<(2 + extendedBytes)].reduce(0) { length, byte in length > Int.max >> 8 ? Int.max : length << 8 | Int(byte) }
    }
}
