import NIOCore
import NIOPosix
import Testing

/// One HTTP exchange written byte for byte, for requests an HTTP client library would not send as they are (a
/// WebSocket upgrade whose refusal must be read as an ordinary response). Reads until the server closes.
enum RawHTTP {
    struct Reply {
        let status: Int
        /// Header names lowercased.
        let headers: [String: String]
        let body: String
    }

    /// A WebSocket upgrade request for `path` with `headers` on top of the handshake's own.
    static func upgrade(port: Int, path: String, headers: [(String, String)] = []) async throws -> Reply {
        var request =
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        return try await exchange(port: port, request + "\r\n")
    }

    /// Sends `request` to 127.0.0.1:`port` and parses what comes back before the connection closes (at most 10 s).
    static func exchange(port: Int, _ request: String) async throws -> Reply {
        let received = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: ByteBuffer.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(done: received)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(string: request))
        let deadline = channel.eventLoop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
        defer { deadline.cancel() }
        let text = String(buffer: try await received.futureResult.get())
        let (head, body) = text.range(of: "\r\n\r\n").map { (String(text[..<$0.lowerBound]), String(text[$0.upperBound...])) } ?? (text, "")
        let lines = head.split(separator: "\r\n")
        let status = try #require(lines.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }, "no status line in \(text)")
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Reply(status: status, headers: headers, body: body)
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private var buffer = ByteBuffer()
        private let done: EventLoopPromise<ByteBuffer>

        init(done: EventLoopPromise<ByteBuffer>) { self.done = done }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var chunk = unwrapInboundIn(data)
            buffer.writeBuffer(&chunk)
            // A switch of protocols keeps the connection open: its head is all there is to read.
            let text = String(buffer: buffer)
            if text.hasPrefix("HTTP/1.1 101"), text.contains("\r\n\r\n") { context.close(promise: nil) }
        }

        func channelInactive(context: ChannelHandlerContext) { done.succeed(buffer) }

        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }
}
