import Foundation
import JWTKit
import ServiceKit

/// Signs access tokens (EdDSA JWTs carrying ``AccessTokenClaims``, `kid` in the header) and describes the public
/// keys that verify them as a JWKS.
struct AccessTokenIssuer: Sendable {
    let keys: SigningKeys
    let lifetime: Duration
    private let collection: JWTKeyCollection

    init(keys: SigningKeys, lifetime: Duration) async {
        self.keys = keys
        self.lifetime = lifetime
        collection = JWTKeyCollection()
        await collection.add(eddsa: EdDSA.PrivateKey(backing: keys.signingKey), kid: JWKIdentifier(string: keys.signingKid))
    }

    /// A signed token.
    struct Token: Sendable {
        let value: String
        let expiresIn: Int
    }

    /// A fresh token for the user in the refresh-token family `familyId`, with a random `jti`; `iat` and `exp` are
    /// whole seconds.
    func issue(userId: String, username: String, familyId: String, now: Date = Date()) async throws -> Token {
        let seconds = Int(lifetime.components.seconds)
        let now = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let claims = AccessTokenClaims(
            userId: userId, username: username, tokenId: UUID().uuidString.lowercased(), familyId: familyId,
            issuedAt: now, expiresAt: now.addingTimeInterval(Double(seconds)))
        let value = try await collection.sign(claims, kid: JWKIdentifier(string: keys.signingKid))
        return Token(value: value, expiresIn: seconds)
    }

    /// The JWKS of every published key (RFC 8037 OKP keys).
    var jwks: JWKSet {
        JWKSet(
            keys: keys.published.map {
                .init(kty: "OKP", crv: "Ed25519", x: Base64URL.encode($0.publicKey.rawRepresentation), kid: $0.kid, alg: "EdDSA", use: "sig")
            })
    }

    /// `GET /v1/auth/jwks`: `{"keys": [...]}`.
    struct JWKSet: Codable, Sendable {
        struct Key: Codable, Sendable {
            let kty: String
            let crv: String
            let x: String
            let kid: String
            let alg: String
            let use: String
        }
        let keys: [Key]
    }
}
