import Crypto
import Foundation
import NIOHTTP1

/// The server's part of the RFC 6455 opening handshake.
public enum WebSocketHandshake {
    /// The `Sec-WebSocket-Accept` value for a request's `Sec-WebSocket-Key`.
    public static func accept(forKey key: String) -> String {
        Data(Insecure.SHA1.hash(data: Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))).base64EncodedString()
    }

    /// The response headers of a valid upgrade request (version 13 with a 16-byte key), nil otherwise.
    public static func responseHeaders(for request: HTTPRequestHead) -> HTTPHeaders? {
        guard request.headers["Sec-WebSocket-Version"].first == "13", let key = request.headers["Sec-WebSocket-Key"].first,
            Data(base64Encoded: key)?.count == 16
        else { return nil }
        return HTTPHeaders([("Sec-WebSocket-Accept", accept(forKey: key))])
    }
}
