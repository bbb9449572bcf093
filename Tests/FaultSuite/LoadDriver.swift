import Foundation
import Logging
import Synchronization

/// One group conversation of the load: its members' clients and the member who never connects, so that every
/// message of the group notifies them.
struct LoadGroup: Sendable {
    let index: Int
    let conversationId: String
    let clients: [ResilientClient]
    let offline: Credentials
}

/// The steady load: registers the users, forms the groups, keeps every online member's socket open and makes sends
/// at a fixed total rate, round robin over the online members (a member whose queue is full is passed over).
final class LoadDriver: Sendable {
    let groups: [LoadGroup]
    let clients: [ResilientClient]
    let ledger: Ledger
    let runId: String
    private let rate: Int
    private let paused = Mutex(true)
    private let skipped = Mutex(0)
    private let tasks = Mutex<[Task<Void, Never>]>([])

    private init(groups: [LoadGroup], ledger: Ledger, runId: String, rate: Int) {
        self.groups = groups
        self.clients = groups.flatMap(\.clients)
        self.ledger = ledger
        self.runId = runId
        self.rate = rate
    }

    /// Registers `groupCount × groupSize` users (bcrypt at the product's cost: 8 at a time), creates the groups and
    /// builds a client for each online member.
    static func prepare(
        api: API, gateway: String, groupCount: Int, groupSize: Int, rate: Int, settings: ClientSettings,
        ledger: Ledger, logger: Logger
    ) async throws -> LoadDriver {
        let runId = String(UUID().uuidString.prefix(6).lowercased())
        let password = "fault-suite-password"
        let total = groupCount * groupSize
        let users = try await withThrowingTaskGroup(of: (Int, Credentials).self) { tasks in
            var users = [Credentials?](repeating: nil, count: total)
            var next = 0
            func add() {
                let index = next
                next += 1
                tasks.addTask {
                    let username = "fs_\(runId)_\(index)"
                    return (
                        index,
                        Credentials(
                            username: username, password: password,
                            pair: try await api.register(username: username, password: password))
                    )
                }
            }
            for _ in 0..<min(8, total) { add() }
            while let (index, user) = try await tasks.next() {
                users[index] = user
                if next < total { add() }
            }
            return users.map { $0! }
        }
        var groups: [LoadGroup] = []
        for group in 0..<groupCount {
            let members = Array(users[(group * groupSize)..<((group + 1) * groupSize)])
            // The last member never connects.
            let id = try await api.createGroup(owner: members[0], memberIds: members.dropFirst().map(\.userId), title: "faults \(group)")
            let clients = members.dropLast().enumerated().map { offset, credentials in
                ResilientClient(
                    index: group * groupSize + offset, group: group, conversationId: id, credentials: credentials,
                    api: api, ledger: ledger, gateway: gateway, settings: settings, logger: logger)
            }
            groups.append(LoadGroup(index: group, conversationId: id, clients: clients, offline: members.last!))
        }
        return LoadDriver(groups: groups, ledger: ledger, runId: runId, rate: rate)
    }

    /// Opens every socket, waits (bounded) until each said hello, and starts the ticker and the sender, paused.
    func start(timeout: Duration = .seconds(60)) async throws {
        var started: [Task<Void, Never>] = clients.map { client in Task { await client.run() } }
        let deadline = ContinuousClock.now + timeout
        while clients.contains(where: { !$0.isConnected }) {
            guard ContinuousClock.now < deadline else {
                throw SuiteError("\(clients.count { !$0.isConnected }) of \(clients.count) sockets not open after \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        started.append(Task { await self.tickLoop() })
        started.append(Task { await self.sendLoop() })
        tasks.withLock { $0 = started }
    }

    func pause() { paused.withLock { $0 = true } }
    func resume() { paused.withLock { $0 = false } }
    /// Sends passed over because the member's queue was full.
    var skippedSends: Int { skipped.withLock { $0 } }

    func stop() {
        for client in clients { client.stop() }
        for task in tasks.withLock({ $0 }) { task.cancel() }
    }

    /// Waits until no client has an unacknowledged send, or `timeout` has passed; returns those still unacknowledged.
    func drain(timeout: Duration) async -> [String] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, clients.contains(where: { $0.pendingCount > 0 }) {
            try? await Task.sleep(for: .milliseconds(100))
        }
        return ledger.unacknowledged()
    }

    private func tickLoop() async {
        while !Task.isCancelled {
            for client in clients { client.tick() }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// `rate` sends a second in total, on a fixed schedule; a schedule missed while paused is not made up.
    private func sendLoop() async {
        let interval = Duration.seconds(1) / rate
        var next = ContinuousClock.now
        var turn = 0
        while !Task.isCancelled {
            if paused.withLock({ $0 }) {
                try? await Task.sleep(for: .milliseconds(20))
                next = .now
                continue
            }
            next += interval
            if next > .now { try? await Task.sleep(until: next) }
            // Spread over the groups first, so that each group gets rate/groups sends a second.
            let group = groups[turn % groups.count]
            let client = group.clients[(turn / groups.count) % group.clients.count]
            turn += 1
            if !client.submit(runId: runId) { skipped.withLock { $0 += 1 } }
        }
    }
}
