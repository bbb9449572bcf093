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
    public var postgresURL: String
    public var postgresPoolSize: Int
    public var mongoURI: String
    public var kafkaBrokers: String
    /// librdkafka security properties (`security.protocol`, `sasl.*`) for MSK.
    public var kafkaSecurity: [String: String]
    public var redisNodes: [String]
    public var redisUsername: String?
    public var redisPassword: String?
    public var s3Endpoint: String
    public var s3Region: String
    public var s3Bucket: String
    public var s3PathStyle: Bool
    public var s3AccessKeyId: String
    public var s3SecretAccessKey: String
    public var s3SessionToken: String?
    /// api-gateway: base URLs of the instances of each upstream service.
    public var upstreams: [ServiceName: [String]]

    /// Reads the settings of `service` from `environment`, applying local defaults to unset variables.
    public init(service: ServiceName, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func string(_ key: ConfigKey, default fallback: String? = nil, emptyMeansEmpty: Bool = false) -> String {
            if let value = environment[key.name], !value.isEmpty || emptyMeansEmpty { return value }
            return fallback ?? key.localDefault
        }
        func optional(_ key: ConfigKey) -> String? {
            let value = string(key)
            return value.isEmpty ? nil : value
        }
        func integer(_ key: ConfigKey, default fallback: Int? = nil, range: ClosedRange<Int>) throws -> Int {
            let raw = string(key, default: fallback.map(String.init))
            guard let value = Int(raw), range.contains(value) else {
                throw ConfigurationError(key: key, value: raw, expected: "an integer in \(range)")
            }
            return value
        }
        func boolean(_ key: ConfigKey) throws -> Bool {
            switch string(key).lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            case let other: throw ConfigurationError(key: key, value: other, expected: "true or false")
            }
        }
        func list(_ key: ConfigKey) -> [String] {
            string(key).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }

        self.service = service
        self.httpHost = string(.httpHost)
        self.httpPort = try integer(.httpPort, default: service.defaultPort, range: 1...65535)
        let level = string(.logLevel)
        guard let logLevel = Logger.Level(rawValue: level.lowercased()) else {
            throw ConfigurationError(key: .logLevel, value: level, expected: "a swift-log level")
        }
        self.logLevel = logLevel
        self.readyTimeout = .milliseconds(try integer(.readyTimeoutMilliseconds, range: 50...60_000))
        self.postgresURL = string(.postgresURL, default: "postgresql://chat:chat@127.0.0.1:55432/\(service.databaseName)")
        self.postgresPoolSize = try integer(.postgresPoolSize, range: 1...500)
        self.mongoURI = string(.mongoURI)
        self.kafkaBrokers = string(.kafkaBrokers, default: "127.0.0.1:9092")
        var security = ["security.protocol": string(.kafkaSecurityProtocol)]
        if let mechanism = optional(.kafkaSASLMechanism) {
            security["sasl.mechanism"] = mechanism
            security["sasl.username"] = string(.kafkaSASLUsername)
            security["sasl.password"] = string(.kafkaSASLPassword)
        }
        self.kafkaSecurity = security
        self.redisNodes = list(.redisNodes)
        self.redisUsername = optional(.redisUsername)
        self.redisPassword = optional(.redisPassword)
        // Set but empty means AWS's own endpoint; unset means the local stack's.
        self.s3Endpoint = string(.s3Endpoint, emptyMeansEmpty: true)
        self.s3Region = string(.s3Region)
        self.s3Bucket = string(.s3Bucket)
        self.s3PathStyle = try boolean(.s3PathStyle)
        self.s3AccessKeyId = string(.s3AccessKeyId)
        self.s3SecretAccessKey = string(.s3SecretAccessKey)
        self.s3SessionToken = optional(.s3SessionToken)
        self.upstreams = [
            .auth: list(.upstreamAuth), .user: list(.upstreamUser),
            .chat: list(.upstreamChat), .notification: list(.upstreamNotification),
        ]
    }
}
