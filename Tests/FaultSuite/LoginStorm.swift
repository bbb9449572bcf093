import AsyncHTTPClient
import Foundation
import NIOCore

/// The outcome of the login storm.
struct LoginStormResult: Codable, Sendable {
    var logins = 0
    var addresses = 1
    /// First answers by status (`200`, `503`, anything else).
    var firstAnswers: [String: Int] = [:]
    /// Retries made after a 503's Retry-After, and the most any one login needed.
    var retries = 0
    var mostRetries = 0
    var succeeded = 0
    /// From the first request until every login had succeeded (or given up).
    var seconds = 0.0
    /// Time to the first answer: median, 99th percentile and longest.
    var firstAnswerSeconds: [String: Double] = [:]
    var retryAfterSeconds: [Int] = []
    var violations: [String] = []
}

/// After an outage every client logs in at once. `count` logins at the same moment through the gateway, at the
/// product's bcrypt cost: every answer must be 200, or 503 with `Retry-After`; a 503 is retried after its Retry-After
/// (up to `maxRetries` times) and every login must end with 200. Any 502, 504 or other answer, a 503 without
/// Retry-After, or a request without an answer is a violation.
struct LoginStorm: Sendable {
    let gateway: String
    let users: [Credentials]
    let count: Int
    /// Login `i` comes from 127.0.0.(1 + i mod addresses): the gateway sees that many clients (with one, every login
    /// counts against one address's limits).
    var addresses = 1
    var maxRetries = 5

    func run() async -> LoginStormResult {
        // Clients of their own whose pools do not queue: all `count` requests leave at once.
        let clients = (0..<max(1, addresses)).map { index in
            var configuration = HTTPClient.Configuration(
                timeout: .init(connect: .seconds(10), read: .seconds(120)),
                connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: count + 16))
            configuration.httpVersion = .http1Only
            configuration.localAddress = "127.0.0.\(1 + index)"
            return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        }
        let result = await storm(clients.map { API(base: gateway, http: $0) })
        for client in clients { try? await client.shutdown() }
        return result
    }

    private func storm(_ apis: [API]) async -> LoginStormResult {
        struct Outcome: Sendable {
            var first: String
            var firstSeconds: Double
            var retries = 0
            var retryAfter: [Int] = []
            var succeeded = false
            var problem: String?
        }
        let started = ContinuousClock.now
        let outcomes = await withTaskGroup(of: Outcome.self) { tasks in
            for index in 0..<count {
                let user = users[index % users.count]
                let api = apis[index % apis.count]
                tasks.addTask {
                    var outcome = Outcome(first: "", firstSeconds: 0)
                    for attempt in 0...maxRetries {
                        let sent = ContinuousClock.now
                        let answer: HTTPAnswer
                        do {
                            answer = try await api.login(username: user.username, password: user.password)
                        } catch {
                            if attempt == 0 {
                                outcome.first = "no answer"
                                outcome.firstSeconds = (ContinuousClock.now - sent).seconds
                            }
                            outcome.problem = "login \(index) (attempt \(attempt + 1)): no answer: \(error)"
                            return outcome
                        }
                        if attempt == 0 {
                            outcome.first = String(answer.status)
                            outcome.firstSeconds = (ContinuousClock.now - sent).seconds
                        }
                        switch (answer.status, answer.retryAfter) {
                        case (200, _):
                            outcome.succeeded = true
                            return outcome
                        case (503, let seconds?):
                            guard attempt < maxRetries else {
                                outcome.problem = "login \(index): still 503 after \(maxRetries) retries, each after its Retry-After"
                                return outcome
                            }
                            outcome.retries += 1
                            outcome.retryAfter.append(seconds)
                            try? await Task.sleep(for: .seconds(seconds))
                        case (503, nil):
                            outcome.problem = "login \(index) (attempt \(attempt + 1)): 503 without Retry-After: \(answer.text)"
                            return outcome
                        default:
                            outcome.problem = "login \(index) (attempt \(attempt + 1)): \(answer.status) \(answer.text)"
                            return outcome
                        }
                    }
                    return outcome
                }
            }
            var all: [Outcome] = []
            for await outcome in tasks { all.append(outcome) }
            return all
        }

        var result = LoginStormResult(logins: count, addresses: apis.count)
        result.seconds = (ContinuousClock.now - started).seconds
        for outcome in outcomes {
            result.firstAnswers[outcome.first, default: 0] += 1
            result.retries += outcome.retries
            result.mostRetries = max(result.mostRetries, outcome.retries)
            result.retryAfterSeconds += outcome.retryAfter
            if outcome.succeeded { result.succeeded += 1 }
            if let problem = outcome.problem { result.violations.append(problem) }
        }
        result.retryAfterSeconds = Array(Set(result.retryAfterSeconds)).sorted()
        let times = outcomes.map(\.firstSeconds).sorted()
        if !times.isEmpty {
            result.firstAnswerSeconds = [
                "p50": times[times.count / 2], "p99": times[min(times.count - 1, times.count * 99 / 100)],
                "max": times.last!,
            ]
        }
        return result
    }
}
