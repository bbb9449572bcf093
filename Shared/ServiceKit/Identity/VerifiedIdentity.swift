/// Who is calling, as the gateway established from a valid access token.
public struct VerifiedIdentity: Codable, Sendable, Equatable {
    /// The user's id (`sub` of the access token).
    public let userId: String
    public let username: String
    /// The access token's `jti`, so a service can revoke exactly that token (logout).
    public let tokenId: String
    /// When the access token expires, in seconds since 1970.
    public let expiresAt: Int64
    /// The refresh-token family the access token was issued in (`fid`): one sign-in on one device. Logout, or a
    /// refresh token used twice, revokes it, and with it every socket opened with its tokens. Nil for a token issued
    /// without one.
    public let familyId: String?

    public init(userId: String, username: String, tokenId: String, expiresAt: Int64, familyId: String?) {
        self.userId = userId
        self.username = username
        self.tokenId = tokenId
        self.expiresAt = expiresAt
        self.familyId = familyId
    }
}
