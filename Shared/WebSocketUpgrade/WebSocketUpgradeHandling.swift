import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import ServiceKit

/// How a service answers WebSocket upgrade requests on its HTTP listener (see ``UpgradableHTTPChannel``).
///
/// Admission may take its time (verify a token, ask Redis, reach another service) and answers either with the
/// headers of the `101 Switching Protocols` response or with a complete HTTP refusal, which the client receives
/// as an ordinary response (the contract's 401, 429 … with their JSON bodies). An admitted connection is configured
/// on its event loop right after the 101 went out, before any byte that followed it is read, and then started. It
/// lives on in its channel's handlers, without a task: an idle socket costs no task's stack, and what must happen at
/// its close hangs on the channel's `closeFuture`.
public protocol WebSocketUpgradeHandling: Sendable {
    /// What an admission hands to ``configure(_:channel:)`` and ``start(_:channel:logger:)``.
    associatedtype Connection: Sendable

    /// Decides on `request`, which arrived on `channel` (its peer, its event loop).
    func admit(_ request: HTTPRequestHead, channel: any Channel, logger: Logger) async -> WebSocketAdmission<Connection>

    /// Installs the handlers of an admitted connection on `channel`; runs on its event loop once the HTTP handlers
    /// are gone.
    func configure(_ connection: Connection, channel: any Channel) throws

    /// Starts serving the configured connection and returns; the connection's handlers serve it from then on.
    func start(_ connection: Connection, channel: any Channel, logger: Logger) async
}

/// The outcome of ``WebSocketUpgradeHandling/admit(_:channel:logger:)``.
public enum WebSocketAdmission<Connection: Sendable>: Sendable {
    /// Switch protocols: `headers` go on the 101 response besides `Connection` and `Upgrade`.
    case accept(headers: HTTPHeaders, connection: Connection)
    /// Answer with this response and close the connection.
    case refuse(HTTPRefusal)
}

/// A complete HTTP response that refuses an upgrade: status, headers and body.
public struct HTTPRefusal: Sendable {
    public var status: HTTPResponse.Status
    public var headers: HTTPFields
    public var body: ByteBuffer

    public init(status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

extension HTTPRefusal {
    /// `error` as the contract's JSON response, with the request's id.
    public init(_ error: APIError, requestId: String) {
        var headers = error.headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.requestId] = requestId
        self.init(status: error.status, headers: headers, body: error.jsonBody(requestId: requestId))
    }
}
