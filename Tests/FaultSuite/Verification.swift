import Foundation
import Synchronization

/// What one verification checked and how long it took.
struct VerificationResult: Codable, Sendable {
    var historyMessages = 0
    var ackedMessages = 0
    var membersChecked = 0
    var notificationsChecked = 0
    var seconds = 0.0
    var violations: [String] = []
}

/// The checks after each fault, with the load paused:
/// - every send was acknowledged (clients retry until then, bounded);
/// - history (`GET …/messages?after=0`, following `nextCursor` alone) holds every acknowledged message exactly once,
///   under the seq and clientMessageId of its ack, in strictly increasing seq order, and no clientMessageId twice;
/// - every online member has every message of history (live, through `sync`, or as the ack of its own send);
/// - the offline member has exactly one `message` notification per message of history, and no other for it;
/// - with `everyMemberNotifications`, no user has two notifications of one type for one (conversation, seq).
///
/// A problem is reported once, by the first verification that finds it: a member that lacks seqs 5…9 after one fault
/// and still lacks them after the next is a violation of the first.
struct Verifier: Sendable {
    let api: API
    let driver: LoadDriver
    let ledger: Ledger
    private let memory = VerificationMemory()

    init(api: API, driver: LoadDriver, ledger: Ledger) {
        self.api = api
        self.driver = driver
        self.ledger = ledger
    }
    var drainTimeout: Duration = .seconds(90)
    var memberTimeout: Duration = .seconds(30)
    var notificationTimeout: Duration = .seconds(90)

    func verify(everyMemberNotifications: Bool = false) async -> VerificationResult {
        let started = ContinuousClock.now
        var result = VerificationResult()
        let unacknowledged = memory.fresh("unacknowledged", await driver.drain(timeout: drainTimeout))
        if !unacknowledged.isEmpty {
            let examples = unacknowledged.prefix(5).map { id -> String in
                guard let send = ledger.send(id) else { return id }
                return "\(id) (group \(send.group), written \(send.writes)×)"
            }
            result.violations.append(
                "\(unacknowledged.count) sends never acknowledged within \(drainTimeout) of the pause, e.g. \(examples.joined(separator: ", "))")
        }
        let perGroup = await withTaskGroup(of: VerificationResult.self) { tasks in
            for group in driver.groups { tasks.addTask { await verify(group, everyMemberNotifications: everyMemberNotifications) } }
            var all: [VerificationResult] = []
            for await one in tasks { all.append(one) }
            return all
        }
        for one in perGroup {
            result.historyMessages += one.historyMessages
            result.ackedMessages += one.ackedMessages
            result.membersChecked += one.membersChecked
            result.notificationsChecked += one.notificationsChecked
            result.violations += one.violations
        }
        result.seconds = (ContinuousClock.now - started).seconds
        return result
    }

    private func verify(_ group: LoadGroup, everyMemberNotifications: Bool) async -> VerificationResult {
        var result = VerificationResult()
        let name = "group \(group.index)"
        let history: [MessageFields]
        do { history = try await messages(of: group) } catch {
            result.violations.append("\(name): history could not be read: \(error)")
            return result
        }
        result.historyMessages = history.count

        // Exactly once, in seq order, no clientMessageId twice.
        var seqs: [Int64: String] = [:]
        var clientIds: [String: Int64] = [:]
        var previous: Int64 = 0
        for message in history {
            if message.seq <= previous {
                report(&result, "\(name): history has seq \(message.seq) after seq \(previous)")
            }
            previous = max(previous, message.seq)
            if let other = clientIds[message.clientMessageId] {
                report(&result, "\(name): clientMessageId \(message.clientMessageId) stored twice, as seq \(other) and seq \(message.seq)")
            }
            clientIds[message.clientMessageId] = message.seq
            seqs[message.seq] = message.clientMessageId
        }
        let acked = ledger.ackedMessages(group: group.index)
        result.ackedMessages = acked.count
        var lost: [Int64] = []
        for (seq, id) in acked.sorted(by: { $0.key < $1.key }) {
            guard let stored = seqs[seq] else {
                lost.append(seq)
                continue
            }
            if stored != id {
                report(&result, "\(name): seq \(seq) was acknowledged for \(id) but history holds \(stored) there")
            }
        }
        lost = memory.fresh("lost \(group.index)", lost)
        if !lost.isEmpty {
            result.violations.append("\(name): \(lost.count) acknowledged messages missing from history, seqs \(Self.list(lost))")
        }
        for message in history where ledger.send(message.clientMessageId) == nil {
            report(&result, "\(name): history holds seq \(message.seq) with a clientMessageId the suite never sent: \(message.clientMessageId)")
        }

        // Every online member has every message.
        let expected = Set(history.map(\.seq))
        let deadline = ContinuousClock.now + memberTimeout
        var missing: [(ResilientClient, Set<Int64>)] = []
        repeat {
            missing = group.clients.compactMap { client in
                let lacks = expected.subtracting(client.received)
                return lacks.isEmpty ? nil : (client, lacks)
            }
            if missing.isEmpty { break }
            try? await Task.sleep(for: .milliseconds(200))
        } while ContinuousClock.now < deadline
        for (client, allLacks) in missing {
            let lacks = memory.fresh("member \(client.index)", allLacks.sorted())
            if lacks.isEmpty { continue }
            result.violations.append(
                "\(name): member \(client.index) (\(client.isConnected ? "connected" : "not connected")) lacks \(lacks.count) messages \(memberTimeout) after the pause, seqs \(Self.list(lacks)) (\(client.diagnosis))"
            )
        }
        result.membersChecked = group.clients.count

        // The offline member: one `message` notification per message.
        let (checked, problems) = await checkOfflineNotifications(group, expected: expected)
        result.notificationsChecked = checked
        for problem in problems { report(&result, "\(name): \(problem)") }

        if everyMemberNotifications {
            // Every member's list at once: the lists are independent and each takes a few requests.
            let lists = await withTaskGroup(of: (Int, Result<[API.Notification], any Error>).self) { tasks in
                for client in group.clients {
                    tasks.addTask {
                        do { return (client.index, .success(try await notifications(of: client.credentials))) } catch {
                            return (client.index, .failure(error))
                        }
                    }
                }
                var all: [(Int, Result<[API.Notification], any Error>)] = []
                for await one in tasks { all.append(one) }
                return all.sorted { $0.0 < $1.0 }
            }
            for (member, list) in lists {
                switch list {
                case .success(let list):
                    let duplicates = Self.duplicates(list)
                    if !duplicates.isEmpty {
                        report(&result, "\(name): member \(member) has notifications twice: \(duplicates.prefix(5).joined(separator: ", "))")
                    }
                    result.notificationsChecked += list.count
                case .failure(let error):
                    result.violations.append("\(name): member \(member)'s notifications could not be read: \(error)")
                }
            }
        }
        return result
    }

    /// Waits (bounded) until the offline member's notifications of the group cover history, then checks them.
    private func checkOfflineNotifications(_ group: LoadGroup, expected: Set<Int64>) async -> (Int, [String]) {
        let deadline = ContinuousClock.now + notificationTimeout
        var problems: [String] = []
        var checked = 0
        repeat {
            problems = []
            // The unread count is cheap; read the whole list only once it could be complete.
            if let count = try? await unreadCount(of: group.offline), count < expected.count, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(500))
                continue
            }
            let list: [API.Notification]
            do { list = try await notifications(of: group.offline) } catch {
                problems.append("the offline member's notifications could not be read: \(error)")
                try? await Task.sleep(for: .milliseconds(500))
                continue
            }
            let mine = list.filter { $0.conversationId == group.conversationId }
            checked = mine.count
            let messageSeqs = mine.filter { $0.type == "message" }.compactMap(\.seq)
            let counted = Dictionary(messageSeqs.map { ($0, 1) }, uniquingKeysWith: +)
            let missing = expected.subtracting(counted.keys).sorted()
            let twice = counted.filter { $0.value > 1 }.keys.sorted()
            let unknown = Set(counted.keys).subtracting(expected).sorted()
            let others = mine.filter { $0.type != "message" && $0.type != "added_to_conversation" }
            if !twice.isEmpty {
                problems.append("the offline member has \(twice.count) message notifications more than once, seqs \(Self.list(twice))")
            }
            if !unknown.isEmpty { problems.append("the offline member has notifications for seqs not in history: \(Self.list(unknown))") }
            if !others.isEmpty {
                problems.append("the offline member has \(others.count) unexpected notifications of types \(Set(others.map(\.type)).sorted())")
            }
            if !missing.isEmpty { problems.append("the offline member lacks \(missing.count) message notifications, seqs \(Self.list(missing))") }
            // Missing ones may still be on their way; anything else will not go away.
            if problems.isEmpty || !twice.isEmpty || !unknown.isEmpty || !others.isEmpty { break }
            try? await Task.sleep(for: .milliseconds(500))
        } while ContinuousClock.now < deadline
        return (checked, problems)
    }

    /// Adds `violation` unless an earlier verification reported it.
    private func report(_ result: inout VerificationResult, _ violation: String) {
        if memory.fresh(violation) { result.violations.append(violation) }
    }

    // MARK: Reading through the API

    /// The whole history, oldest first: `after=0`, then each `nextCursor` alone.
    func messages(of group: LoadGroup) async throws -> [MessageFields] {
        var all: [MessageFields] = []
        var path = "/v1/conversations/\(group.conversationId)/messages?after=0&limit=200"
        var cursors: Set<String> = []
        while true {
            let answer = try await api.callRetrying(.GET, path, token: { try await group.offline.accessToken(api) })
            guard answer.status == 200 else { throw SuiteError("GET \(path): \(answer.status) \(answer.text)") }
            let page = try answer.decode(API.Page<MessageFields>.self)
            all += page.items
            guard let cursor = page.nextCursor, !page.items.isEmpty else { return all }
            guard cursors.insert(cursor).inserted else { throw SuiteError("GET \(path): nextCursor \(cursor) repeats") }
            path = "/v1/conversations/\(group.conversationId)/messages?cursor=\(Self.encoded(cursor))&limit=200"
        }
    }

    /// Every notification of a user, newest first.
    func notifications(of user: Credentials) async throws -> [API.Notification] {
        var all: [API.Notification] = []
        var path = "/v1/notifications?limit=200"
        var cursors: Set<String> = []
        while true {
            let answer = try await api.callRetrying(.GET, path, token: { try await user.accessToken(api) })
            guard answer.status == 200 else { throw SuiteError("GET \(path): \(answer.status) \(answer.text)") }
            let page = try answer.decode(API.Page<API.Notification>.self)
            all += page.items
            guard let cursor = page.nextCursor, !page.items.isEmpty else { return all }
            guard cursors.insert(cursor).inserted else { throw SuiteError("GET \(path): nextCursor \(cursor) repeats") }
            path = "/v1/notifications?cursor=\(Self.encoded(cursor))&limit=200"
        }
    }

    func unreadCount(of user: Credentials) async throws -> Int {
        struct Count: Decodable { let count: Int }
        let answer = try await api.callRetrying(.GET, "/v1/notifications/unread-count", token: { try await user.accessToken(api) })
        guard answer.status == 200 else { throw SuiteError("unread-count: \(answer.status) \(answer.text)") }
        return try answer.decode(Count.self).count
    }

    // MARK: Formatting

    private static func encoded(_ cursor: String) -> String {
        cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? cursor
    }

    /// "(conversation, seq, type)" keys that occur more than once.
    private static func duplicates(_ list: [API.Notification]) -> [String] {
        let keys = list.map { "\($0.conversationId ?? "-"):\($0.seq ?? -1):\($0.type)" }
        return Dictionary(keys.map { ($0, 1) }, uniquingKeysWith: +).filter { $0.value > 1 }.keys.sorted()
    }

    /// Seqs as ranges, at most 8 of them: "3, 17…20, 41".
    static func list(_ seqs: [Int64]) -> String {
        var ranges: [(Int64, Int64)] = []
        for seq in seqs.sorted() {
            if let last = ranges.last, last.1 + 1 == seq { ranges[ranges.count - 1].1 = seq } else { ranges.append((seq, seq)) }
        }
        let shown = ranges.prefix(8).map { $0.0 == $0.1 ? "\($0.0)" : "\($0.0)…\($0.1)" }.joined(separator: ", ")
        return ranges.count > 8 ? shown + ", …" : shown
    }
}

/// What earlier verifications reported.
final class VerificationMemory: Sendable {
    private let reported = Mutex<[String: Set<String>]>([:])

    /// The items of `list` not reported before under `key`; from now on they count as reported.
    func fresh<Item: Hashable & CustomStringConvertible & Sendable>(_ key: String, _ list: [Item]) -> [Item] {
        reported.withLock { reported in
            var known = reported[key] ?? []
            let new = list.filter { known.insert($0.description).inserted }
            reported[key] = known
            return new
        }
    }

    /// Whether `text` was not reported before; from now on it counts as reported.
    func fresh(_ text: String) -> Bool { !fresh("text", [text]).isEmpty }
}
