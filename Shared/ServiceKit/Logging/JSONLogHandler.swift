import Foundation
import Logging

/// A swift-log handler that writes one JSON object per line to standard output.
///
/// Each line carries `timestamp` (RFC 3339, UTC, milliseconds), `level`, `service`, `label`, `message` and the
/// merged metadata (for example `request_id`), so log pipelines such as CloudWatch Logs Insights can query fields.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let service: String

    public init(label: String, service: String, level: Logger.Level) {
        self.label = label
        self.service = service
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = self.metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }

        var line = "{\"timestamp\":\"\(Self.timestamp())\",\"level\":\"\(event.level.rawValue)\""
        line += ",\"service\":" + JSONText.quoted(service) + ",\"label\":" + JSONText.quoted(label)
        line += ",\"message\":" + JSONText.quoted(event.message.description)
        for key in merged.keys.sorted() {
            line += "," + JSONText.quoted(key) + ":" + Self.encode(merged[key]!)
        }
        line += "}\n"
        FileHandle.standardOutput.write(Data(line.utf8))
    }

    private static func encode(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): return JSONText.quoted(string)
        case .stringConvertible(let convertible): return JSONText.quoted(convertible.description)
        case .array(let values): return "[" + values.map(encode).joined(separator: ",") + "]"
        case .dictionary(let dictionary):
            return "{" + dictionary.keys.sorted().map { JSONText.quoted($0) + ":" + encode(dictionary[$0]!) }.joined(separator: ",") + "}"
        }
    }

    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    private static func timestamp() -> String { timestampStyle.format(Date()) }
}
