import Crypto
import Foundation
import HTTPTypes
import Logging

/// Signs and verifies the `X-Chat-Identity` header with which the gateway tells a service who the caller is.
///
/// The value is `v1.<base64url JSON>.<base64url HMAC-SHA256>` under the secret shared by the gateway and the services
/// (`CHAT_INTERNAL_SECRET`). The JSON holds the ``VerifiedIdentity`` and what binds it to one request: its method, its
/// path and when the gateway signed it. A service accepts a value only when the MAC verifies, the request is the one
/// it was signed for, it was signed within ``lifetime`` of now and its token has not expired: a header captured from
/// one request opens no other path and is stale within a minute. The gateway drops any such header a client sends,
/// so a client that reaches a service directly cannot claim to be anyone.
public struct IdentitySigner: Sendable {
    public static let headerName = HTTPField.Name("X-Chat-Identity")!
    /// How far from now a header may have been signed.
    public static let lifetime: Int64 = 60
    let key: SymmetricKey

    /// A signer for `secret`, which must be at least 32 bytes.
    public init(secret: String) throws {
        guard secret.utf8.count >= 32 else {
            throw ConfigurationError(key: .internalSecret, value: "(\(secret.utf8.count) bytes)", expected: "at least 32 bytes")
        }
        key = SymmetricKey(data: Array(secret.utf8))
    }

    /// A signer with a random secret: it verifies only what it signed itself.
    public static func random() -> IdentitySigner {
        IdentitySigner(key: SymmetricKey(size: .bits256))
    }

    private init(key: SymmetricKey) { self.key = key }

    /// What the header carries.
    private struct Signed: Codable {
        let userId: String
        let username: String
        let tokenId: String
        let expiresAt: Int64
        let familyId: String?
        let method: String
        let path: String
        let issuedAt: Int64
    }

    /// The header value for `identity` on the request `method path` (the path without its query), signed at `now`.
    /// Its JSON is written by hand: the gateway signs every request.
    public func sign(_ identity: VerifiedIdentity, method: HTTPRequest.Method, path: String, now: Date = Date()) -> String {
        var json = #"{"expiresAt":"# + String(identity.expiresAt)
        if let familyId = identity.familyId { json += #","familyId":"# + JSONText.quoted(familyId) }
        json +=
            #","issuedAt":"# + String(Int64(now.timeIntervalSince1970)) + #","method":"# + JSONText.quoted(method.rawValue)
            + #","path":"# + JSONText.quoted(path) + #","tokenId":"# + JSONText.quoted(identity.tokenId)
            + #","userId":"# + JSONText.quoted(identity.userId) + #","username":"# + JSONText.quoted(identity.username) + "}"
        let payload = Base64URL.encode(Array(json.utf8))
        return "v1.\(payload).\(mac(of: "v1.\(payload)"))"
    }

    /// The identity in `value` for the request `method path`, or nil when it is malformed, forged, for another
    /// request, stale, or its token expired at `now`.
    public func verify(_ value: String, method: HTTPRequest.Method, path: String, now: Date = Date()) -> VerifiedIdentity? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        let seconds = Int64(now.timeIntervalSince1970)
        guard parts.count == 3, parts[0] == "v1",
            let givenMAC = Base64URL.decode(String(parts[2])),
            HMAC<SHA256>.isValidAuthenticationCode(givenMAC, authenticating: Array("v1.\(parts[1])".utf8), using: key),
            let json = Base64URL.decode(String(parts[1])),
            let signed = try? JSONDecoder().decode(Signed.self, from: Data(json)),
            signed.method == method.rawValue, signed.path == path, abs(signed.issuedAt - seconds) <= Self.lifetime,
            signed.expiresAt > seconds
        else { return nil }
        return VerifiedIdentity(
            userId: signed.userId, username: signed.username, tokenId: signed.tokenId, expiresAt: signed.expiresAt,
            familyId: signed.familyId)
    }

    private func mac(of text: String) -> String {
        Base64URL.encode(Data(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key)))
    }
}

/// Base64 with the URL-safe alphabet and no padding (RFC 4648 §5), as JWTs use.
public enum Base64URL {
    public static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).map(Array.init)
    }
}

extension IdentitySigner {
    /// The signer for `CHAT_INTERNAL_SECRET`; when it is unset, a random one (nothing from the gateway verifies)
    /// and a warning, so a forgotten secret fails closed.
    public static func configured(_ settings: Settings, logger: Logger) throws -> IdentitySigner {
        // No local default here: the key's documented default only says where the local value comes from.
        let secret = settings.reader.string(.internalSecret, default: "")
        guard !secret.isEmpty else {
            logger.warning("CHAT_INTERNAL_SECRET is not set: identities passed by the gateway will be refused")
            return .random()
        }
        return try IdentitySigner(secret: secret)
    }
}
