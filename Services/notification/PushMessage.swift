import Crypto
import Foundation
import HTTPTypes

/// The HTTP request of one push: a JSON body and the headers that let the target check it.
///
/// Body (keys sorted, identical for every attempt):
/// `{"deliveryId", "notification": {id, type, conversationId, seq, actorId, preview, createdAt, read}, "type": "notification", "userId"}`.
/// Headers: `X-Chat-Signature: sha256=<hex HMAC-SHA256(secret, body)>` and `X-Chat-Delivery-Id` (the same for
/// every attempt and redelivery of one notification to one target, so targets can drop duplicates).
struct PushMessage: Sendable {
    static let signatureHeader = HTTPField.Name("X-Chat-Signature")!
    static let deliveryIdHeader = HTTPField.Name("X-Chat-Delivery-Id")!

    let body: Data
    let signature: String
    let deliveryId: String

    private struct Body: Encodable {
        let deliveryId: String
        let notification: NotificationItem
        let type = "notification"
        let userId: String
    }

    init(_ push: PushOutbox.Pending) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        body = try encoder.encode(Body(deliveryId: push.deliveryId, notification: push.notification, userId: push.userId))
        signature = Self.signature(of: body, secret: push.secret)
        deliveryId = push.deliveryId
    }

    /// `sha256=<hex HMAC-SHA256(secret, body)>`.
    static func signature(of body: Data, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }
}
