import HTTPTypes
import Hummingbird
import RedisCluster
import ServiceKit

/// Limits password guessing in the Redis Cluster without letting anyone lock a user out (``LoginPolicy`` decides
/// from three failure counters over a window of 15 minutes):
///
/// - per (username, address): at the limit, that pair gets 429 with `Retry-After` until its window ends;
/// - per address, across usernames (credential stuffing from one place): a higher limit, then 429 for the address;
/// - per username, across addresses: past a soft limit every attempt is slowed, more the more failures there were,
///   but never refused, so the owner still signs in from their own address while a distributed guesser gains little.
///
/// An attempt reserves a failure on the per-user counters before the password is checked and gives it back when the
/// login succeeds (or could not be checked), so concurrent guesses at one user cannot overrun its limits. The address
/// counter is only read before the check and counts the failures themselves: many people behind one address signing
/// in at once (after an outage, every client does) never count, and concurrent guesses from one address overrun its
/// limit by at most the hashing queue's length.
struct LoginThrottle: Sendable {
    static let window: Duration = .seconds(15 * 60)
    let redis: RedisClusterClient
    let policy: LoginPolicy

    /// The failure counters one login attempt reserved, the address counter a failure adds to, and how long the
    /// attempt must wait before its password is checked.
    struct Attempt: Sendable {
        fileprivate let keys: [String]
        fileprivate let addressKey: String
        let delay: Duration
    }

    /// Reserves a failure on the counters of `username` (lowercased) when given and reads the failures of `address`;
    /// throws 429 when the pair or the address is at its limit.
    func begin(username: String?, address: String) async throws -> Attempt {
        let addressKey = Self.key("addr", address)
        let pairKey = username.map { Self.key("pair", "\($0)|\(address)") }
        let usernameKey = username.map { Self.key("user", $0) }
        let keys = [pairKey, usernameKey].compactMap { $0 }
        var counts: [String: Int] = [:]
        for key in keys {
            let reply = try await redis.evaluate(Self.reserve, keys: [key], arguments: [String(Self.window.components.seconds * 1000)])
            counts[key] = Int(reply.integer ?? 0)
        }
        let addressFailures = try await redis.evaluate(Self.count, keys: [addressKey]).integer ?? 0
        let attempt = Attempt(keys: keys, addressKey: addressKey, delay: .zero)
        let decision = policy.decide(
            address: Int(addressFailures) + 1, pair: pairKey.flatMap { counts[$0] } ?? 0,
            username: usernameKey.flatMap { counts[$0] } ?? 0)
        switch decision {
        case .refuse(let subject):
            let left = try await redis.evaluate(Self.timeLeft, keys: [subject == .pair ? pairKey ?? addressKey : addressKey])
            try await release(attempt)
            throw APIError.rateLimited(retryAfterSeconds: max(1, Int(((left.integer ?? 1000) + 999) / 1000)))
        case .proceed(let delay):
            return Attempt(keys: keys, addressKey: addressKey, delay: delay)
        }
    }

    /// Gives back the failures `attempt` reserved: the login succeeded, or the password could not be checked.
    func release(_ attempt: Attempt) async throws {
        for key in attempt.keys {
            _ = try await redis.evaluate(Self.refund, keys: [key])
        }
    }

    /// Counts `attempt`'s wrong password against its address (its per-user reservations stay counted).
    func failed(_ attempt: Attempt) async throws {
        _ = try await redis.evaluate(Self.reserve, keys: [attempt.addressKey], arguments: [String(Self.window.components.seconds * 1000)])
    }

    /// The counter of one subject; the hash tag keeps each on one slot.
    private static func key(_ kind: String, _ subject: String) -> String { "auth:login-failures:{\(kind):\(subject)}" }

    /// Counts one more failure and returns the count, starting the window at the first.
    private static let reserve = RedisScript(
        """
        local count = redis.call('INCR', KEYS[1])
        if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        return count
        """)
    /// A counter's failures.
    private static let count = RedisScript("return tonumber(redis.call('GET', KEYS[1]) or '0')")
    /// The milliseconds left in a counter's window.
    private static let timeLeft = RedisScript(
        """
        local left = redis.call('PTTL', KEYS[1])
        if left < 0 then return 1000 end
        return left
        """)
    private static let refund = RedisScript(
        """
        if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
        return 0
        """)
}

/// What the failure counts of one login attempt (its own reservation included) allow.
struct LoginPolicy: Sendable, Equatable {
    /// Failures allowed per (username, address) in the window (``ConfigKey/loginFailureLimit``).
    let pairLimit: Int
    /// Failures allowed per address across usernames.
    var addressLimit: Int { pairLimit * 5 }
    /// Failures per username across addresses before attempts are slowed.
    var usernameSoftLimit: Int { pairLimit * 2 }
    /// The longest an attempt is slowed.
    static let maximumDelay: Duration = .seconds(30)

    /// Whose limit refused an attempt.
    enum Subject: Equatable {
        case pair
        case address
    }

    enum Decision: Equatable {
        case refuse(Subject)
        /// Check the password after `delay`.
        case proceed(delay: Duration)
    }

    /// The decision for an attempt whose reservation made the counts `address`, `pair` and `username`.
    func decide(address: Int, pair: Int, username: Int) -> Decision {
        if pair > pairLimit { return .refuse(.pair) }
        if address > addressLimit { return .refuse(.address) }
        guard username > usernameSoftLimit else { return .proceed(delay: .zero) }
        // 0.25 s past the soft limit, doubling every `pairLimit` failures more, at most 30 s.
        let doublings = min(16, (username - usernameSoftLimit - 1) / max(1, pairLimit))
        return .proceed(delay: min(Self.maximumDelay, .milliseconds(250) * (1 << doublings)))
    }
}

extension Request {
    /// The client's address: the first `X-Forwarded-For` entry, which the gateway sets, when it looks like an IP
    /// address; else the connection's peer.
    func clientAddress(_ context: ServiceRequestContext) -> String {
        if let forwarded = headers[forwardedFor]?.split(separator: ",").first?.trimmingCharacters(in: .whitespaces),
            (1...45).contains(forwarded.count),
            forwarded.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit || $0 == "." || $0 == ":" })
        {
            return forwarded.lowercased()
        }
        return context.remoteAddress?.ipAddress ?? "unknown"
    }
}

private let forwardedFor = HTTPField.Name("X-Forwarded-For")!

/// Sign-ups per client network (``ClientNetwork``): `perHour` an hour, in a token bucket shared by every instance;
/// over it, 429 with `Retry-After`. Each sign-up costs a bcrypt hash, so one address cannot fill the hashing queue.
struct RegistrationLimit: Sendable {
    let limiter: RateLimiter
    let perHour: Int

    func take(for address: String) async throws {
        let decision = try await limiter.take(ClientNetwork.of(address), capacity: perHour, period: .seconds(3600))
        if !decision.allowed { throw APIError.rateLimited(retryAfterSeconds: decision.retryAfterSeconds) }
    }
}
