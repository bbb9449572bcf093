import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import ChatService

/// A connection's bounded outbox: what is written and when, what is dropped, and when the connection must close.
struct ConnectionOutboxTests {
    /// The text frames written so far, in order, and whether a close frame with `code` followed them, read from the
    /// bytes the outbox wrote (final, unmasked frames).
    private func written(_ channel: EmbeddedChannel) throws -> (texts: [String], closeCode: UInt16?) {
        var texts: [String] = []
        var closeCode: UInt16?
        while var bytes = try channel.readOutbound(as: ByteBuffer.self) {
            while let first = bytes.readInteger(as: UInt8.self), let second = bytes.readInteger(as: UInt8.self) {
                #expect(first & 0x80 != 0 && second & 0x80 == 0, "final and unmasked")
                let length: Int
                switch second {
                case 126: length = Int(bytes.readInteger(as: UInt16.self)!)
                case 127: length = Int(bytes.readInteger(as: UInt64.self)!)
                default: length = Int(second)
                }
                var payload = bytes.readSlice(length: length)!
                switch WebSocketOpcode(encodedWebSocketOpcode: first & 0x0F) {
                case .text: texts.append(String(buffer: payload))
                case .connectionClose: closeCode = payload.readInteger(as: UInt16.self)
                default: continue
                }
            }
        }
        return (texts, closeCode)
    }

    @Test func aBurstIsOneWriteAndLongFramesKeepTheirLengths() throws {
        let channel = EmbeddedChannel()
        let outbox = ConnectionOutbox(channel: channel, capacity: 8)
        channel.isWritable = false
        let texts = ["a", String(repeating: "b", count: 125), String(repeating: "c", count: 126), String(repeating: "d", count: 70_000), "e"]
        for text in texts { outbox.offer(ByteBuffer(string: text)) }
        channel.isWritable = true
        outbox.channelBecameWritable()
        // Up to the burst's bytes in one buffer, the frame after them in the next.
        var buffers = 0
        var all = ByteBuffer()
        while var bytes = try channel.readOutbound(as: ByteBuffer.self) {
            buffers += 1
            all.writeBuffer(&bytes)
        }
        #expect(buffers == 2)
        try channel.writeOutbound(all)
        #expect(try written(channel).texts == texts)
    }

    @Test func framesAreWrittenInOrder() throws {
        let channel = EmbeddedChannel()
        let outbox = ConnectionOutbox(channel: channel, capacity: 3)
        outbox.offer(ByteBuffer(string: "a"))
        outbox.offer(ByteBuffer(string: "b"))
        #expect(try written(channel).texts == ["a", "b"])
    }

    @Test func aSlowReaderKeepsFramesQueuedUntilTheChannelIsWritableAgain() throws {
        let channel = EmbeddedChannel()
        let outbox = ConnectionOutbox(channel: channel, capacity: 3)
        channel.isWritable = false
        outbox.offer(ByteBuffer(string: "a"))
        outbox.offer(ByteBuffer(string: "b"))
        #expect(try written(channel).texts.isEmpty)
        channel.isWritable = true
        outbox.channelBecameWritable()
        #expect(try written(channel).texts == ["a", "b"])
    }

    @Test func whenFullTypingIsDroppedAndAMessageClosesTheConnectionWith4008() throws {
        let channel = EmbeddedChannel()
        let outbox = ConnectionOutbox(channel: channel, capacity: 2)
        channel.isWritable = false
        outbox.offer(ByteBuffer(string: "m1"))
        outbox.offer(ByteBuffer(string: "m2"))
        outbox.offer(ByteBuffer(string: "typing"), droppable: true)
        outbox.offer(ByteBuffer(string: "m3"))
        outbox.offer(ByteBuffer(string: "m4"))
        channel.isWritable = true
        outbox.channelBecameWritable()
        // The frames that fitted still go out, then the close frame.
        let result = try written(channel)
        #expect(result.texts == ["m1", "m2"])
        #expect(result.closeCode == ConnectionOutbox.overflowCloseCode)
        #expect(ConnectionOutbox.overflowCloseCode == 4008)
    }

    @Test func aClosingOutboxTakesNothingMore() throws {
        let channel = EmbeddedChannel()
        let outbox = ConnectionOutbox(channel: channel, capacity: 2)
        outbox.close(code: 4001, reason: "token expired")
        outbox.offer(ByteBuffer(string: "late"))
        let result = try written(channel)
        #expect(result.texts.isEmpty && result.closeCode == 4001)
    }

    @Test func aPacedWriterWaitsForRoomAndStopsWhenTheConnectionCloses() async throws {
        let channel = EmbeddedChannel()
        let outbox = ConnectionOutbox(channel: channel, capacity: 4)
        channel.isWritable = false
        // Half the capacity goes in at once; the third frame waits for room.
        let writer = Task { try await outbox.offerPaced((1...3).map { ByteBuffer(string: "s\($0)") }) }
        outbox.connectionClosed()
        await #expect(throws: ConnectionOutbox.Closed.self) { try await writer.value }
    }
}
