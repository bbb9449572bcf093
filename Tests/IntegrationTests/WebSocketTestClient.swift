import Foundation
import HTTPTypes
import HummingbirdWSClient
import NIOWebSocket
import Synchronization
import Testing

/// A WebSocket client for tests: connects, sends text frames, and waits (with a bound) for frames it receives.
final class WebSocketTestClient: Sendable {
    private let frames: AsyncStream<String>
    private let outbound = WriterBox()
    private let task: Task<WebSocketCloseFrame?, Error>
    private let ready = AsyncStream<Void>.makeStream()

    /// Connects to `url` with `headers` and waits for the connection.
    init(url: String, headers: HTTPFields = [:]) async throws {
        let (frames, input) = AsyncStream.makeStream(of: String.self)
        self.frames = frames
        let outbound = outbound
        let readiness = ready.continuation
        task = Task {
            // However the connection ends (or fails to start), whoever waits for it to be ready stops waiting.
            defer {
                input.finish()
                readiness.finish()
            }
            return try await WebSocketClient.connect(
                url: url, configuration: .init(maxFrameSize: 1 << 20, additionalHeaders: headers), logger: TestStack.logger
            ) { inbound, writer, _ in
                outbound.writer.withLock { $0 = writer }
                readiness.yield()
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message { input.yield(text) }
                }
            }
        }
        var iterator = ready.stream.makeAsyncIterator()
        _ = await iterator.next()
        if outbound.writer.withLock({ $0 }) == nil {
            let outcome = try await task.value
            throw WebSocketClientError.connectionFailed(String(describing: outcome.map { "\($0.closeCode)" } ?? "no upgrade"))
        }
    }

    deinit { task.cancel() }

    func send(_ text: String) async throws {
        let writer = try #require(outbound.writer.withLock { $0 })
        try await writer.write(.text(text))
    }

    func send(json: [String: Any]) async throws {
        try await send(String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self))
    }

    /// The next frame whose JSON matches `predicate`, skipping others; fails after `timeout`.
    func next(
        timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation,
        where predicate: @escaping @Sendable ([String: Any]) -> Bool = { _ in true }
    ) async throws -> [String: Any] {
        let text = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask { [frames] in
                for await text in frames {
                    if let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], predicate(json) {
                        return text
                    }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            return try #require(first, "no matching frame within \(timeout)", sourceLocation: sourceLocation)
        }
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Closes the socket and returns how the server answered.
    func close() async throws -> WebSocketCloseFrame? {
        if let writer = outbound.writer.withLock({ $0 }) { try? await writer.close(.normalClosure, reason: nil) }
        return try await task.value
    }

    enum WebSocketClientError: Error {
        case connectionFailed(String)
    }

    private final class WriterBox: Sendable {
        let writer = Mutex<WebSocketOutboundWriter?>(nil)
    }

    /// Waits for the server to close the socket and returns its close frame.
    func closed() async throws -> WebSocketCloseFrame? { try await task.value }

    /// Waits at most `timeout` for the server to close the socket and returns its close frame; fails (and drops the
    /// connection) when it stays open.
    func closed(within timeout: Duration, sourceLocation: SourceLocation = #_sourceLocation) async throws -> WebSocketCloseFrame? {
        let task = task
        let outcome = try await withThrowingTaskGroup(of: WebSocketCloseFrame??.self) { group in
            group.addTask {
                try await withTaskCancellationHandler {
                    try await task.value
                } onCancel: {
                    task.cancel()
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return .none
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
        return try #require(outcome, "the socket stayed open for \(timeout)", sourceLocation: sourceLocation)
    }
}
