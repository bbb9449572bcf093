import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// NIO's protocol upgrader for `websocket`, deciding through a ``WebSocketUpgradeHandling``.
///
/// A refusal is kept in ``refusal`` (NIO only learns that this upgrader declined) and written by
/// ``UpgradableHTTPChannel`` once the connection is back to plain HTTP.
final class AdmittingUpgrader<Handling: WebSocketUpgradeHandling>: NIOTypedHTTPServerProtocolUpgrader, Sendable {
    typealias UpgradeResult = UpgradableHTTPChannel<Handling>.Negotiated

    let supportedProtocol = "websocket"
    let requiredUpgradeHeaders: [String] = []
    private let handling: Handling
    private let logger: Logger
    private let admitted = NIOLockedValueBox<Handling.Connection?>(nil)
    /// The response for a declined upgrade, nil until one was declined.
    let refusal = NIOLockedValueBox<HTTPRefusal?>(nil)

    init(handling: Handling, logger: Logger) {
        self.handling = handling
        self.logger = logger
    }

    /// Marks the decline of an upgrade; NIO then treats the request as plain HTTP.
    struct Declined: Error {}

    func buildUpgradeResponse(
        channel: any Channel, upgradeRequest: HTTPRequestHead, initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        let promise = channel.eventLoop.makePromise(of: HTTPHeaders.self)
        let (handling, logger) = (self.handling, self.logger)
        promise.completeWithTask {
            switch await UpgradeTracing.admit(upgradeRequest, { await handling.admit(upgradeRequest, channel: channel, logger: logger) }) {
            case .accept(let headers, let connection):
                self.admitted.withLockedValue { $0 = connection }
                var response = initialResponseHeaders
                response.add(contentsOf: headers)
                return response
            case .refuse(let refusal):
                self.refusal.withLockedValue { $0 = refusal }
                throw Declined()
            }
        }
        return promise.futureResult
    }

    func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<UpgradeResult> {
        channel.eventLoop.makeCompletedFuture {
            // Taken, not read: the connection's handlers hold what it needs, and nothing else should outlive it.
            let taken = admitted.withLockedValue { admitted in
                defer { admitted = nil }
                return admitted
            }
            guard let connection = taken else { throw Declined() }
            try handling.configure(connection, channel: channel)
            return .upgraded(connection)
        }
    }
}
