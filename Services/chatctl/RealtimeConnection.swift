import Foundation
import HummingbirdWSClient
import Logging
import NIOWebSocket
import Synchronization

/// One WebSocket to the gateway: JSON frames out, and the frames that came in, awaited with a bound.
final class RealtimeConnection: Sendable {
    private let frames: AsyncStream<String>
    private let input: AsyncStream<String>.Continuation
    private let writer = WriterBox()
    private let task: Task<WebSocketCloseFrame?, any Error>

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Connects with `token` and waits for the server's `hello`.
    init(url: String, token: String, timeout: Duration = .seconds(10)) async throws {
        (frames, input) = AsyncStream.makeStream(of: String.self)
        let (input, box) = (input, writer)
        var logger = Logger(label: "chatctl")
        logger.logLevel = .critical
        task = Task {
            defer { input.finish() }
            return try await WebSocketClient.connect(
                url: url, configuration: .init(maxFrameSize: 1 << 20, additionalHeaders: [.authorization: "Bearer \(token)"]),
                logger: logger
            ) { inbound, outbound, _ in
                box.writer.withLock { $0 = outbound }
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message { input.yield(text) }
                }
            }
        }
        _ = try await next(within: timeout) { $0["type"] as? String == "hello" }
    }

    deinit { task.cancel() }

    /// Sends `frame` as JSON text.
    func send(_ frame: [String: Any]) async throws {
        guard let writer = writer.writer.withLock({ $0 }) else { throw Failure(description: "the WebSocket is not open") }
        try await writer.write(.text(String(decoding: try JSONSerialization.data(withJSONObject: frame), as: UTF8.self)))
    }

    /// The next frame matching `predicate` (others are skipped); fails after `timeout` or when the socket closes.
    func next(within timeout: Duration = .seconds(10), where predicate: @escaping @Sendable ([String: Any]) -> Bool) async throws -> [String: Any] {
        let frames = frames
        let found = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                for await text in frames {
                    if let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], predicate(json) { return text }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let found, let json = try JSONSerialization.jsonObject(with: Data(found.utf8)) as? [String: Any] else {
            throw Failure(description: "no matching frame within \(timeout) (or the socket closed)")
        }
        return json
    }

    /// Every frame as it comes, until the socket closes.
    var incoming: AsyncStream<String> { frames }

    /// Closes the socket normally.
    func close() async {
        if let writer = writer.writer.withLock({ $0 }) { try? await writer.close(.normalClosure, reason: nil) }
        _ = try? await task.value
    }

    private final class WriterBox: Sendable {
        let writer = Mutex<WebSocketOutboundWriter?>(nil)
    }
}
