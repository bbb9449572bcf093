import Foundation
import Synchronization

/// The instances of one upstream service, used round robin. An instance that refuses a connection is skipped
/// for a few seconds (passive health checking), so one dead instance costs its callers nothing after the first.
public final class UpstreamPool: Sendable {
    public let service: ServiceName
    public let instances: [String]
    private let cursor = Atomic<Int>(0)
    /// Per instance, until when it is considered down.
    private let downUntil: Mutex<[ContinuousClock.Instant?]>
    static let quarantine: Duration = .seconds(5)

    public init(service: ServiceName, instances: [String]) {
        self.service = service
        self.instances = instances.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        downUntil = Mutex(Array(repeating: nil, count: instances.count))
    }

    /// The instances to try for one request, healthy ones first, starting at the next in turn.
    public func candidates() -> [String] {
        guard !instances.isEmpty else { return [] }
        let start = cursor.wrappingAdd(1, ordering: .relaxed).oldValue
        let now = ContinuousClock.now
        let order = (0..<instances.count).map { (start + $0) % instances.count }
        let down = downUntil.withLock { until in order.map { until[$0].map { $0 > now } ?? false } }
        let healthy = zip(order, down).filter { !$0.1 }.map(\.0)
        let quarantined = zip(order, down).filter { $0.1 }.map(\.0)
        return (healthy + quarantined).map { instances[$0] }
    }

    /// Records that `instance` refused a connection.
    public func markDown(_ instance: String) {
        guard let index = instances.firstIndex(of: instance) else { return }
        downUntil.withLock { $0[index] = .now + Self.quarantine }
    }

    /// Records that `instance` answered.
    public func markUp(_ instance: String) {
        guard let index = instances.firstIndex(of: instance) else { return }
        downUntil.withLock { if $0[index] != nil { $0[index] = nil } }
    }
}
