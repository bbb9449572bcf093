import ServiceKit

/// The gateway's own configuration, read from ``ConfigKey``s only it uses.
struct GatewaySettings: Sendable {
    var rateLimitPerUser: Int
    var rateLimitPerAddress: Int
    var maxBodyBytes: Int
    var upstreamTimeout: Duration
    var corsOrigins: [String]
    var trustedProxyHops: Int
    var adminHost: String
    var adminPort: Int
    var webRoot: String

    init(_ settings: Settings) throws {
        let reader = settings.reader
        rateLimitPerUser = try reader.integer(.rateLimitPerUser, range: 1...1_000_000)
        rateLimitPerAddress = try reader.integer(.rateLimitPerAddress, range: 1...1_000_000)
        maxBodyBytes = try reader.integer(.maxBodyBytes, range: 1024...1_073_741_824)
        upstreamTimeout = .milliseconds(try reader.integer(.upstreamTimeoutMilliseconds, range: 100...600_000))
        corsOrigins = reader.list(.corsOrigins)
        trustedProxyHops = try reader.integer(.trustedProxyHops, range: 0...10)
        adminHost = reader.string(.adminHost)
        adminPort = try reader.integer(.adminPort, range: 1...65535)
        webRoot = reader.string(.webRoot)
    }
}
