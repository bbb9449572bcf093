import Foundation
import RedisCluster

/// Whether a user is connected, kept in the Redis Cluster by the chat instances that hold the user's WebSockets.
///
/// Keys (both in the user's slot through the `{<userId>}` hash tag):
/// - `presence:{<userId>}:connections`: a sorted set of connection ids, each scored with the time (ms) until which
///   its instance vouches for it. Instances renew their connections' scores every heartbeat; a crashed instance
///   stops renewing, so its connections lapse after ``heartbeatTTL`` without anyone cleaning up. The key itself
///   expires after the same TTL once no connection renews it.
/// - `presence:{<userId>}:last-seen`: the last time (ms) a connection of the user was seen.
///
/// A user is online while at least one connection's score lies in the future.
public struct PresenceStore: Sendable {
    /// How long a connection counts as live without a heartbeat.
    public static let heartbeatTTL: Duration = .seconds(45)
    let redis: RedisClusterClient

    public init(redis: RedisClusterClient) { self.redis = redis }

    /// A user's presence as the contract shows it.
    public struct Presence: Codable, Sendable, Equatable {
        public let userId: String
        public let status: PresenceStatus
        /// When the user was last connected (RFC 3339), nil if never.
        public let lastSeenAt: String?
    }

    static func connectionsKey(_ userId: String) -> String { "presence:{\(userId)}:connections" }
    static func lastSeenKey(_ userId: String) -> String { "presence:{\(userId)}:last-seen" }

    private static let ttlMilliseconds = Int(heartbeatTTL.components.seconds * 1000)

    /// Records that `connectionId` of `userId` is live now (connect and every heartbeat). Returns true when this
    /// made the user go from offline to online.
    @discardableResult
    public func connected(userId: String, connectionId: String, now: Date = Date()) async throws -> Bool {
        let nowMs = Int(now.timeIntervalSince1970 * 1000)
        let reply = try await redis.evaluate(
            Self.touch, keys: [Self.connectionsKey(userId), Self.lastSeenKey(userId)],
            arguments: [connectionId, String(nowMs), String(nowMs + Self.ttlMilliseconds), String(Self.ttlMilliseconds)])
        return reply.integer == 1
    }

    /// What ``open(userId:connectionId:limit:now:)`` decided.
    public enum Opening: Sendable, Equatable {
        /// The connection counts; `wentOnline` when it made the user go from offline to online.
        case opened(wentOnline: Bool)
        /// The user already holds `limit` live connections: this one is refused and not recorded.
        case full
    }

    /// Records a new connection `connectionId` of `userId` unless the user already holds `limit` live ones (on any
    /// instance: the check and the record are one script).
    public func open(userId: String, connectionId: String, limit: Int, now: Date = Date()) async throws -> Opening {
        let nowMs = Int(now.timeIntervalSince1970 * 1000)
        let reply = try await redis.evaluate(
            Self.open, keys: [Self.connectionsKey(userId), Self.lastSeenKey(userId)],
            arguments: [
                connectionId, String(nowMs), String(nowMs + Self.ttlMilliseconds), String(Self.ttlMilliseconds), String(limit),
            ])
        switch reply.integer {
        case -1: return .full
        case 1: return .opened(wentOnline: true)
        default: return .opened(wentOnline: false)
        }
    }

    /// Records that `connectionId` closed. Returns true when it was the user's last live connection.
    @discardableResult
    public func disconnected(userId: String, connectionId: String, now: Date = Date()) async throws -> Bool {
        let nowMs = Int(now.timeIntervalSince1970 * 1000)
        let reply = try await redis.evaluate(
            Self.remove, keys: [Self.connectionsKey(userId), Self.lastSeenKey(userId)],
            arguments: [connectionId, String(nowMs)])
        return reply.integer == 1
    }

    /// The presence of `userId` at `now`.
    public func presence(of userId: String, now: Date = Date()) async throws -> Presence {
        let nowMs = Int(now.timeIntervalSince1970 * 1000)
        let reply = try await redis.evaluate(
            Self.read, keys: [Self.connectionsKey(userId), Self.lastSeenKey(userId)], arguments: [String(nowMs)])
        let values = reply.array ?? []
        let online = values.first?.integer ?? 0 > 0
        let lastSeen = values.count > 1 ? values[1].integer : nil
        return Presence(
            userId: userId, status: online ? .online : .offline,
            lastSeenAt: lastSeen.map { RFC3339.string(from: Date(timeIntervalSince1970: Double($0) / 1000)) })
    }

    /// Which of `userIds` are online at `now`, asked with one pipeline (per node) for all of them.
    public func online(among userIds: some Collection<String>, now: Date = Date()) async throws -> Set<String> {
        let users = Array(Set(userIds))
        guard !users.isEmpty else { return [] }
        let since = "(" + String(Int(now.timeIntervalSince1970 * 1000))
        let replies = try await redis.pipeline(
            users.map { user in
                RedisCommand(["ZCOUNT", Self.connectionsKey(user), since, "+inf"], keys: [Self.connectionsKey(user)])
            })
        var online: Set<String> = []
        for (user, reply) in zip(users, replies) {
            if case .error(let message) = reply { throw RedisError(kind: .server, message: message) }
            if reply.integer ?? 0 > 0 { online.insert(user) }
        }
        return online
    }

    // Each script drops lapsed connections first, so "online" never rests on a dead instance's entries.
    private static let touch = RedisScript(
        """
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
        local before = redis.call('ZCARD', KEYS[1])
        redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        redis.call('SET', KEYS[2], ARGV[2])
        if before == 0 then return 1 else return 0 end
        """)
    private static let open = RedisScript(
        """
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
        local before = redis.call('ZCARD', KEYS[1])
        if before >= tonumber(ARGV[5]) then return -1 end
        redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        redis.call('SET', KEYS[2], ARGV[2])
        if before == 0 then return 1 else return 0 end
        """)
    private static let remove = RedisScript(
        """
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
        local removed = redis.call('ZREM', KEYS[1], ARGV[1])
        redis.call('SET', KEYS[2], ARGV[2])
        if removed == 1 and redis.call('ZCARD', KEYS[1]) == 0 then return 1 else return 0 end
        """)
    private static let read = RedisScript(
        """
        local live = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[1], '+inf')
        local seen = redis.call('GET', KEYS[2])
        if seen then return {live, tonumber(seen)} else return {live} end
        """)
}

/// Whether a user has a live connection.
public enum PresenceStatus: String, Codable, Sendable {
    case online
    case offline
}
