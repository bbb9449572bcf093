import Foundation
import ServiceKit
import Synchronization

/// The instances of one upstream service, used round robin. An instance that refuses a connection is skipped
/// for a few seconds (passive health checking), so one dead instance costs its callers nothing after the first.
final class UpstreamPool: Sendable {
    let service: ServiceName
    let instances: [String]
    private let cursor = Atomic<Int>(0)
    /// Per instance, until when it is considered down.
    private let downUntil: Mutex<[ContinuousClock.Instant?]>
    static let quarantine: Duration = .seconds(5)

    init(service: ServiceName, instances: [String]) {
        self.service = service
        self.instances = instances.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        downUntil = Mutex(Array(repeating: nil, count: instances.count))
    }

    /// The instances to try for one request, healthy ones first, starting at the next in turn.
    func candidates() -> [String] {
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
    func markDown(_ instance: String) {
        guard let index = instances.firstIndex(of: instance) else { return }
        downUntil.withLock { $0[index] = .now + Self.quarantine }
    }

    /// Records that `instance` answered.
    func markUp(_ instance: String) {
        guard let index = instances.firstIndex(of: instance) else { return }
        downUntil.withLock { if $0[index] != nil { $0[index] = nil } }
    }
}

extension UpstreamPool {
    /// Host and port of an `http://host[:port]` instance URL (the WebSocket relay connects to it directly).
    struct Endpoint: Equatable {
        let host: String
        let port: Int

        /// Nil for a URL that is not plain `http` with a host.
        init?(_ instance: String) {
            guard let components = URLComponents(string: instance), components.scheme?.lowercased() == "http",
                  let host = components.host, !host.isEmpty
            else { return nil }
            self.host = host
            self.port = components.port ?? 80
        }
    }
}
