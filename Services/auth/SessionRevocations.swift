import ChatEvents
import Foundation
import Kafka
import ServiceKit

/// Ends a sign-in everywhere: its refresh-token family goes on the denylist (no access token of it verifies, at the
/// gateway or at chat's re-authentication), and `session.revoked` tells every chat instance to close the WebSockets
/// opened with its tokens (close code 4001, within a moment of the event's acknowledgement).
struct SessionRevocations: Sendable {
    let denylist: TokenDenylist
    let producer: KafkaProducer

    func end(family: String, of userId: String, reason: SessionRevoked.Reason) async throws {
        try await denylist.revokeFamily(family)
        guard let user = UUID(uuidString: userId) else { return }
        try await producer.publish(EventEnvelope(SessionRevoked(userId: user, familyId: family, reason: reason)))
    }
}
