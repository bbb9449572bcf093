/// A W3C `traceparent` value (`00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`), read without a tracer.
///
/// What a hop needs to know of a trace without starting a span: whether it is sampled (the fan-out and the
/// notification service start spans only for sampled ones) and its trace id.
public struct TraceParent: Sendable, Equatable, CustomStringConvertible {
    /// The header (HTTP) and record header (Kafka) carrying it.
    public static let headerName = "traceparent"

    public let traceId: Substring
    public let parentId: Substring
    public let flags: UInt8

    /// Parses `value`; nil when it is not a version-00 `traceparent`.
    public init?(_ value: some StringProtocol) {
        let text = String(value)
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "00", parts[1].count == 32, parts[2].count == 16, parts[3].count == 2,
            parts[1].allSatisfy(\.isHexDigit), parts[2].allSatisfy(\.isHexDigit),
            parts[1] != "00000000000000000000000000000000", parts[2] != "0000000000000000",
            let flags = UInt8(parts[3], radix: 16)
        else { return nil }
        (traceId, parentId, self.flags) = (parts[1], parts[2], flags)
    }

    private init(traceId: Substring, parentId: Substring, flags: UInt8) {
        (self.traceId, self.parentId, self.flags) = (traceId, parentId, flags)
    }

    /// Parses the bytes of a record header.
    public init?(bytes: [UInt8]) {
        self.init(String(decoding: bytes, as: UTF8.self))
    }

    /// Whether the caller recorded the trace.
    public var isSampled: Bool { flags & 1 == 1 }

    /// The same parent, marked sampled.
    public var sampled: TraceParent { TraceParent(traceId: traceId, parentId: parentId, flags: flags | 1) }

    public var description: String {
        let hex = String(flags, radix: 16)
        return "00-\(traceId)-\(parentId)-\(hex.count == 1 ? "0" + hex : hex)"
    }
}
