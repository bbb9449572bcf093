import NIOCore
import NIOSSL
import NIOTLS

/// Sits behind the `NIOSSLClientHandler` of a new connection and completes `promise` when the TLS handshake
/// completed (certificate and name verified), or fails it with the first error or the connection's close; then it
/// takes itself out of the pipeline. Everything passes through unchanged.
final class TLSHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let promise: EventLoopPromise<Void>

    init(promise: EventLoopPromise<Void>) { self.promise = promise }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted? = event as? TLSUserEvent {
            promise.succeed(())
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Removed with the channel before any of the above (a failed connect): nobody may wait forever.
        promise.fail(ChannelError.ioOnClosedChannel)
    }
}

extension NodeAddress {
    /// The name to send as SNI and verify the certificate against: nil for an IP address (verified against the IP
    /// subject alternative names; SNI must not carry an IP), the host otherwise.
    var tlsServerName: String? {
        (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
    }
}

/// What a failed TLS handshake with `address` means to the client: a verification or protocol failure (``RedisError/Kind/tls``,
/// not retried) or a connection that ended during the handshake (``RedisError/Kind/connectionRefused``: nothing was
/// sent, so it may be retried like a refused connection).
func tlsHandshakeError(_ error: Error, address: NodeAddress) -> RedisError {
    if let error = error as? RedisError { return error }
    if let error = error as? NIOSSLExtraError {
        guard error == .failedToValidateHostname else { return RedisError(kind: .tls, message: "\(address): TLS: \(error)") }
        let name = address.tlsServerName ?? "the IP address \(address.host)"
        return RedisError(kind: .tls, message: "\(address): the node's certificate does not name \(name)")
    }
    guard let error = error as? NIOSSLError else {
        return RedisError(kind: .connectionRefused, message: "\(address): the connection ended during the TLS handshake: \(error)")
    }
    switch error {
    case .handshakeFailed(let reason):
        return RedisError(
            kind: .tls,
            message: "\(address): TLS handshake failed (a certificate not signed by the trusted CA, or no TLS on this port): \(reason)")
    case .uncleanShutdown:
        return RedisError(kind: .connectionRefused, message: "\(address): the connection closed during the TLS handshake")
    default:
        return RedisError(kind: .tls, message: "\(address): TLS: \(error)")
    }
}
