import Foundation

/// `session.revoked` v1 on `identity.events`: a sign-in (a refresh-token family) ended before its tokens expired —
/// its user logged out, or one of its refresh tokens was used twice. Every chat instance closes the WebSockets opened
/// with its tokens (close code 4001); the family is also on ``TokenDenylist`` so that none of its access tokens
/// verifies again.
public struct SessionRevoked: ChatEventPayload {
    public static let eventType = "session.revoked"
    public static let version = 1
    public static let topic = KafkaTopic.identity

    /// Why a session ends.
    public enum Reason: String, Codable, Sendable {
        case logout
        /// A refresh token was presented a second time: it or its successor leaked.
        case reuse
    }

    public let userId: UUID
    public let familyId: String
    public let reason: Reason

    public init(userId: UUID, familyId: String, reason: Reason) {
        self.userId = userId
        self.familyId = familyId
        self.reason = reason
    }

    /// One user's records stay in order.
    public var recordKey: UUID { userId }
}
