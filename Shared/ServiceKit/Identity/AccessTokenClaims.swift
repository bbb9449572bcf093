import Foundation
import JWTKit

/// The payload of an access token: a short-lived EdDSA-signed JWT issued by auth and verified by the gateway.
public struct AccessTokenClaims: JWTPayload, Equatable {
    public static let issuer = "chat-auth"
    public static let audience = "chat"

    /// The user's id.
    public var sub: SubjectClaim
    public var username: String
    /// Unique per token: logout puts it on the denylist (``TokenDenylist``).
    public var jti: IDClaim
    /// The refresh-token family (the sign-in) the token was issued in; optional so that tokens issued before it
    /// existed still verify until they expire.
    public var fid: String?
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim
    public var iss: IssuerClaim
    public var aud: AudienceClaim

    public init(userId: String, username: String, tokenId: String, familyId: String?, issuedAt: Date, expiresAt: Date) {
        sub = SubjectClaim(value: userId)
        self.username = username
        jti = IDClaim(value: tokenId)
        fid = familyId
        iat = IssuedAtClaim(value: issuedAt)
        exp = ExpirationClaim(value: expiresAt)
        iss = IssuerClaim(value: Self.issuer)
        aud = AudienceClaim(value: [Self.audience])
    }

    /// Checks expiry, issuer and audience (the signature is checked by the key collection).
    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        guard iss.value == Self.issuer else { throw JWTError.claimVerificationFailure(failedClaim: iss, reason: "unknown issuer") }
        try aud.verifyIntendedAudience(includes: Self.audience)
    }

    /// The identity this token proves.
    public var identity: VerifiedIdentity {
        VerifiedIdentity(
            userId: sub.value, username: username, tokenId: jti.value, expiresAt: Int64(exp.value.timeIntervalSince1970), familyId: fid)
    }
}
