import HTTPTypes
import Hummingbird
import RedisCluster
import ServiceKit

/// Throttles failed logins per username and per client address in the Redis Cluster: once a subject has
/// `limit` failures in a window of 15 minutes (counted from its first failure), every login for it gets 429 with
/// `Retry-After` until the window ends, whether or not the password is right.
///
/// Each attempt reserves a failure for both subjects before the password is checked and gives it back when the
/// login succeeds, so concurrent guesses cannot overrun the limit and successful logins (many users behind one
/// address) never count.
struct LoginThrottle: Sendable {
    static let window: Duration = .seconds(15 * 60)
    let redis: RedisClusterClient
    let limit: Int

    /// The failure counters one login attempt reserved.
    struct Attempt: Sendable {
        fileprivate let keys: [String]
    }

    /// Reserves a failure for `address` and, when given, `username` (lowercased); throws 429 when either is at
    /// the limit.
    func begin(username: String?, address: String) async throws -> Attempt {
        var reserved: [String] = []
        for key in [Self.key("addr", address)] + (username.map { [Self.key("user", $0)] } ?? []) {
            let reply = try await redis.evaluate(
                Self.reserve, keys: [key], arguments: [String(limit), String(Self.window.components.seconds * 1000)])
            let retryMilliseconds = reply.integer ?? 0
            guard retryMilliseconds <= 0 else {
                try await release(Attempt(keys: reserved))
                throw APIError.rateLimited(retryAfterSeconds: max(1, Int((retryMilliseconds + 999) / 1000)))
            }
            reserved.append(key)
        }
        return Attempt(keys: reserved)
    }

    /// Gives back the failures `attempt` reserved: the login succeeded.
    func release(_ attempt: Attempt) async throws {
        for key in attempt.keys {
            _ = try await redis.evaluate(Self.refund, keys: [key])
        }
    }

    /// The counter of one subject; the hash tag keeps each on one slot.
    private static func key(_ kind: String, _ subject: String) -> String { "auth:login-failures:{\(kind):\(subject)}" }

    /// Returns 0 after counting one more failure, or the milliseconds left in the window when at the limit.
    private static let reserve = RedisScript("""
        local count = tonumber(redis.call('GET', KEYS[1]) or '0')
        if count >= tonumber(ARGV[1]) then
            local left = redis.call('PTTL', KEYS[1])
            if left < 0 then
                redis.call('PEXPIRE', KEYS[1], ARGV[2])
                left = tonumber(ARGV[2])
            end
            return left
        end
        redis.call('INCR', KEYS[1])
        if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """)
    private static let refund = RedisScript("""
        if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
        return 0
        """)
}

extension Request {
    /// The client's address: the first `X-Forwarded-For` entry, which the gateway sets, when it looks like an IP
    /// address; else the connection's peer.
    func clientAddress(_ context: ServiceRequestContext) -> String {
        if let forwarded = headers[forwardedFor]?.split(separator: ",").first?.trimmingCharacters(in: .whitespaces),
           (1...45).contains(forwarded.count),
           forwarded.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit || $0 == "." || $0 == ":" }) {
            return forwarded.lowercased()
        }
        return context.remoteAddress?.ipAddress ?? "unknown"
    }
}

private let forwardedFor = HTTPField.Name("X-Forwarded-For")!
