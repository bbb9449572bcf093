import NIOCore
import Testing

@testable import APIGateway

/// ``FrameBoundaries`` finds where each frame ends however the stream is cut into reads.
struct FrameBoundariesTests {
    /// A frame with `length` payload bytes: the short, 16-bit and 64-bit length forms, masked or not.
    static func frame(length: Int, masked: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = [0x81]
        let mask: UInt8 = masked ? 0x80 : 0
        switch length {
        case ..<126: bytes.append(mask | UInt8(length))
        case ..<65536: bytes += [mask | 126, UInt8(length >> 8), UInt8(length & 0xFF)]
        default: bytes += [mask | 127] + (0..<8).reversed().map { UInt8((length >> ($0 * 8)) & 0xFF) }
        }
        if masked { bytes += [1, 2, 3, 4] }
        return bytes + [UInt8](repeating: 0x78, count: length)
    }

    static let frames = [
        frame(length: 0), frame(length: 5), frame(length: 125), frame(length: 126), frame(length: 300, masked: true), frame(length: 70_000),
        frame(length: 2),
    ]

    /// The stream cut into reads of `size` bytes: after each read, the boundaries say whether the bytes so far end with a whole frame.
    @Test(arguments: [1, 2, 3, 7, 100, 1_000, 100_000])
    func boundariesAreWhereFramesEnd(size: Int) {
        let stream = Self.frames.flatMap { $0 }
        let ends = Set(Self.frames.reduce(into: [Int]()) { ends, frame in ends.append((ends.last ?? 0) + frame.count) })
        var boundaries = FrameBoundaries()
        var offset = 0
        while offset < stream.count {
            let end = min(offset + size, stream.count)
            #expect(boundaries.read(ByteBuffer(bytes: stream[offset..<end]).readableBytesView) == end - offset)
            offset = end
            #expect(boundaries.atBoundary == ends.contains(offset), "after \(offset) bytes")
        }
    }

    @Test func stoppingAtABoundaryReadsToTheEndOfTheCurrentFrameOnly() {
        let first = Self.frame(length: 300)
        let stream = ByteBuffer(bytes: first + Self.frame(length: 5))
        var boundaries = FrameBoundaries()
        // Mid-frame: the rest of the frame, not the next one.
        #expect(boundaries.read(stream.getSlice(at: 0, length: 10)!.readableBytesView) == 10)
        #expect(
            boundaries.read(stream.getSlice(at: 10, length: stream.readableBytes - 10)!.readableBytesView, stoppingAtBoundary: true) == first.count
                - 10)
        #expect(boundaries.atBoundary)
        // At a boundary already: nothing.
        #expect(boundaries.read(stream.readableBytesView, stoppingAtBoundary: true) == 0)
    }
}
