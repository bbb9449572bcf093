import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A collector for the tests: accepts OTLP/HTTP trace exports (`POST /v1/traces`, protobuf, what the services'
/// exporter sends) on a loopback port and keeps the spans.
final class OTLPReceiver: Sendable {
    /// One received span, as much of it as the tests look at.
    struct Span: Sendable, CustomStringConvertible {
        let service: String
        let name: String
        let traceId: String
        let spanId: String
        /// Empty for a root span.
        let parentSpanId: String
        /// Trace id and span id of each link.
        let links: [(traceId: String, spanId: String)]
        /// `Status.code`: 0 unset, 1 ok, 2 error.
        let statusCode: Int

        var description: String { "\(service) \(name) trace=\(traceId) span=\(spanId) parent=\(parentSpanId)" }
    }

    let port: Int
    private let spans = Mutex<[Span]>([])
    private let task = Mutex<Task<Void, any Error>?>(nil)

    init(port: Int) { self.port = port }

    /// The endpoint to give the services (`CHAT_OTEL_ENDPOINT`).
    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Everything received so far.
    var received: [Span] { spans.withLock { $0 } }

    func start() async throws {
        let router = Router()
        router.post("/v1/traces") { [self] request, _ in
            let body = try await request.body.collect(upTo: 16 << 20)
            let decoded = try Self.decodeExport(Array(body.readableBytesView))
            spans.withLock { $0.append(contentsOf: decoded) }
            var headers = HTTPFields()
            headers[.contentType] = "application/x-protobuf"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer()))
        }
        let ready = AsyncStream<Void>.makeStream()
        var logger = Logger(label: "otlp-receiver")
        logger.logLevel = .critical
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { _ in ready.continuation.yield() }, logger: logger)
        // A server that cannot listen (the port taken) ends the stream: fail instead of waiting for it forever.
        task.withLock {
            $0 = Task {
                defer { ready.continuation.finish() }
                try await application.runService()
            }
        }
        guard await ready.stream.first(where: { _ in true }) != nil else {
            throw ServiceProcess.WaitFailure(description: "the OTLP receiver could not listen on 127.0.0.1:\(port)")
        }
    }

    func stop() { task.withLock { $0?.cancel() } }

    /// Polls until `condition` holds for the spans received, failing after `timeout`; returns them.
    func waitFor(timeout: Duration = .seconds(30), _ what: String, _ condition: ([Span]) -> Bool) async throws -> [Span] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let current = received
            if condition(current) { return current }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ServiceProcess.WaitFailure(
            description: "no \(what) within \(timeout); received:\n" + received.map(\.description).joined(separator: "\n"))
    }

    // MARK: The protobuf of `ExportTraceServiceRequest`, read field by field

    /// `ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }`
    static func decodeExport(_ bytes: [UInt8]) throws -> [Span] {
        var spans: [Span] = []
        for field in try ProtobufFields(bytes) where field.number == 1 {
            // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
            let resourceSpans = try ProtobufFields(field.bytes)
            let service =
                try resourceSpans.filter { $0.number == 1 }.flatMap { resource in
                    // Resource { repeated KeyValue attributes = 1; }
                    try ProtobufFields(resource.bytes).filter { $0.number == 1 }.compactMap { try keyValue($0.bytes) }
                }.first { $0.key == "service.name" }?.value ?? ""
            for scopeSpans in resourceSpans where scopeSpans.number == 2 {
                // ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
                for span in try ProtobufFields(scopeSpans.bytes) where span.number == 2 {
                    spans.append(try decodeSpan(span.bytes, service: service))
                }
            }
        }
        return spans
    }

    /// `Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5;
    /// repeated Link links = 13; Status status = 15; }`
    private static func decodeSpan(_ bytes: [UInt8], service: String) throws -> Span {
        var traceId = ""
        var spanId = ""
        var parent = ""
        var name = ""
        var links: [(String, String)] = []
        var status = 0
        for field in try ProtobufFields(bytes) {
            switch field.number {
            case 1: traceId = hex(field.bytes)
            case 2: spanId = hex(field.bytes)
            case 4: parent = hex(field.bytes)
            case 5: name = String(decoding: field.bytes, as: UTF8.self)
            case 13:
                // Link { bytes trace_id = 1; bytes span_id = 2; }
                let link = try ProtobufFields(field.bytes)
                links.append((hex(link.first { $0.number == 1 }?.bytes ?? []), hex(link.first { $0.number == 2 }?.bytes ?? [])))
            case 15:
                // Status { string message = 2; StatusCode code = 3; }
                status = Int(try ProtobufFields(field.bytes).first { $0.number == 3 }?.varint ?? 0)
            default: continue
            }
        }
        return Span(service: service, name: name, traceId: traceId, spanId: spanId, parentSpanId: parent, links: links, statusCode: status)
    }

    /// `KeyValue { string key = 1; AnyValue value = 2; }` with `AnyValue { string string_value = 1; }`.
    private static func keyValue(_ bytes: [UInt8]) throws -> (key: String, value: String)? {
        let fields = try ProtobufFields(bytes)
        guard let key = fields.first(where: { $0.number == 1 }), let value = fields.first(where: { $0.number == 2 }),
            let string = try ProtobufFields(value.bytes).first(where: { $0.number == 1 })
        else { return nil }
        return (String(decoding: key.bytes, as: UTF8.self), String(decoding: string.bytes, as: UTF8.self))
    }

    private static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}

/// The fields of one protobuf message: number, and the payload of a length-delimited field or the value of a varint.
struct ProtobufFields: Sequence {
    struct Field {
        let number: Int
        var bytes: [UInt8] = []
        var varint: UInt64 = 0
    }

    struct Malformed: Error {}
    private let fields: [Field]

    init(_ bytes: [UInt8]) throws {
        var fields: [Field] = []
        var index = 0
        func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard index < bytes.count, shift < 64 else { throw Malformed() }
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
        }
        while index < bytes.count {
            let key = try varint()
            let number = Int(key >> 3)
            switch key & 7 {
            case 0: fields.append(Field(number: number, varint: try varint()))
            case 1, 5:
                let width = key & 7 == 1 ? 8 : 4
                guard index + width <= bytes.count else { throw Malformed() }
                index += width
            case 2:
                let length = Int(try varint())
                guard length >= 0, index + length <= bytes.count else { throw Malformed() }
                fields.append(Field(number: number, bytes: Array(bytes[index..<index + length])))
                index += length
            default: throw Malformed()
            }
        }
        self.fields = fields
    }

    func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }
}
