import Foundation
import Logging

/// A configuration value that could not be used.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let key: ConfigKey
    public let value: String
    public let expected: String
    public var description: String { "\(key.name)=\(value): expected \(expected)" }
}

/// The typed configuration of one service, read once at start from environment variables (see ``ConfigKey``).
public struct Settings: Sendable {
    public let service: ServiceName
    public var httpHost: String
    public var httpPort: Int
    public var logLevel: Logger.Level
    public var readyTimeout: Duration
    public var mongoURI: String
    public var kafkaBrokers: String
    /// librdkafka security properties (`security.protocol`, `sasl.*`) for MSK.
    public var kafkaSecurity: [String: String]
    public var redisNodes: [String]
    public var redisUsername: String?
    public var redisPassword: String?
    /// Whether the Redis Cluster is reached over TLS.
    public var redisTLS: Bool
    /// The PEM file of the CAs trusted for the Redis nodes' certificates; nil: the system's trust roots. Read when a
    /// service starts (``ServiceAssembly``), not here: `<service> migrate` needs no Redis and may not have the file.
    public var redisTLSCAFile: String?
    public var s3Endpoint: String
    public var s3Region: String
    public var s3Bucket: String
    public var s3PathStyle: Bool
    public var s3AccessKeyId: String
    public var s3SecretAccessKey: String
    public var s3SessionToken: String?
    /// api-gateway: base URLs of the instances of each upstream service.
    public var upstreams: [ServiceName: [String]]
    /// Where traces go (OTLP/HTTP base URL); nil: tracing is off.
    public var otelEndpoint: String?
    /// The fraction of new traces recorded.
    public var otelSampleRatio: Double
    /// Reads the keys only one service uses (auth's token settings, the gateway's limits…).
    public let reader: ConfigReader

    /// Reads the settings of `service` from `environment`, applying local defaults to unset variables.
    public init(service: ServiceName, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let reader = ConfigReader(environment: environment)
        self.reader = reader
        self.service = service
        self.httpHost = reader.string(.httpHost)
        self.httpPort = try reader.integer(.httpPort, default: service.defaultPort, range: 1...65535)
        let level = reader.string(.logLevel)
        guard let logLevel = Logger.Level(rawValue: level.lowercased()) else {
            throw ConfigurationError(key: .logLevel, value: level, expected: "a swift-log level")
        }
        self.logLevel = logLevel
        self.readyTimeout = .milliseconds(try reader.integer(.readyTimeoutMilliseconds, range: 50...60_000))
        self.mongoURI = reader.string(.mongoURI)
        self.kafkaBrokers = reader.string(.kafkaBrokers, default: "127.0.0.1:9092")
        var security = ["security.protocol": reader.string(.kafkaSecurityProtocol)]
        if let mechanism = reader.optional(.kafkaSASLMechanism) {
            security["sasl.mechanism"] = mechanism
            security["sasl.username"] = reader.string(.kafkaSASLUsername)
            security["sasl.password"] = reader.string(.kafkaSASLPassword)
        }
        self.kafkaSecurity = security
        self.redisNodes = reader.list(.redisNodes)
        self.redisUsername = reader.optional(.redisUsername)
        self.redisPassword = reader.optional(.redisPassword)
        self.redisTLS = try reader.boolean(.redisTLS)
        self.redisTLSCAFile = reader.optional(.redisTLSCAFile)
        // Set but empty means AWS's own endpoint; unset means the local stack's.
        self.s3Endpoint = reader.string(.s3Endpoint, emptyMeansEmpty: true)
        self.s3Region = reader.string(.s3Region)
        self.s3Bucket = reader.string(.s3Bucket)
        self.s3PathStyle = try reader.boolean(.s3PathStyle)
        self.s3AccessKeyId = reader.string(.s3AccessKeyId)
        self.s3SecretAccessKey = reader.string(.s3SecretAccessKey)
        self.s3SessionToken = reader.optional(.s3SessionToken)
        self.upstreams = [
            .auth: reader.list(.upstreamAuth), .user: reader.list(.upstreamUser),
            .chat: reader.list(.upstreamChat), .notification: reader.list(.upstreamNotification),
        ]
        self.otelEndpoint = reader.optional(.otelEndpoint)
        let ratio = reader.string(.otelSampleRatio)
        guard let sampleRatio = Double(ratio), (0...1).contains(sampleRatio) else {
            throw ConfigurationError(key: .otelSampleRatio, value: ratio, expected: "a number from 0 to 1")
        }
        self.otelSampleRatio = sampleRatio
    }
}

/// Typed access to configuration variables, with each key's local default for unset ones.
public struct ConfigReader: Sendable {
    let environment: [String: String]

    /// The value of `key`; unset (or empty, unless `emptyMeansEmpty`) gives `fallback` or the key's local default.
    public func string(_ key: ConfigKey, default fallback: String? = nil, emptyMeansEmpty: Bool = false) -> String {
        if let value = environment[key.name], !value.isEmpty || emptyMeansEmpty { return value }
        return fallback ?? key.localDefault
    }

    /// The value of `key`, nil when it is empty.
    public func optional(_ key: ConfigKey) -> String? {
        let value = string(key)
        return value.isEmpty ? nil : value
    }

    /// The value of `key` as an integer within `range`.
    public func integer(_ key: ConfigKey, default fallback: Int? = nil, range: ClosedRange<Int>) throws -> Int {
        let raw = string(key, default: fallback.map(String.init))
        guard let value = Int(raw), range.contains(value) else {
            throw ConfigurationError(key: key, value: raw, expected: "an integer in \(range)")
        }
        return value
    }

    /// The value of `key` as `true`/`false` (also `1`/`0`, `yes`/`no`).
    public func boolean(_ key: ConfigKey) throws -> Bool {
        switch string(key).lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        case let other: throw ConfigurationError(key: key, value: other, expected: "true or false")
        }
    }

    /// The value of `key` as a comma-separated list, blanks trimmed, empty items dropped.
    public func list(_ key: ConfigKey) -> [String] {
        string(key).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
