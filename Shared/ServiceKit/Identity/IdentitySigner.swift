import Crypto
import Foundation
import HTTPTypes
import Logging

/// Signs and verifies the `X-Chat-Identity` header with which the gateway tells a service who the caller is.
///
/// The value is `v1.<base64url JSON of VerifiedIdentity>.<base64url HMAC-SHA256>` under the secret shared by the
/// gateway and the services (`CHAT_INTERNAL_SECRET`). The gateway drops any such header a client sends, and a
/// service accepts only a value whose MAC verifies and whose token has not expired, so a client that reaches a
/// service directly cannot claim to be anyone.
public struct IdentitySigner: Sendable {
    public static let headerName = HTTPField.Name("X-Chat-Identity")!
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

    /// The header value for `identity` (its JSON written by hand: the gateway signs every request).
    public func sign(_ identity: VerifiedIdentity) -> String {
        let json = #"{"expiresAt":"# + String(identity.expiresAt) + #","tokenId":"# + JSONText.quoted(identity.tokenId)
            + #","userId":"# + JSONText.quoted(identity.userId) + #","username":"# + JSONText.quoted(identity.username) + "}"
        let payload = Base64URL.encode(Array(json.utf8))
        return "v1.\(payload).\(mac(of: "v1.\(payload)"))"
    }

    /// The identity in `value`, or nil when it is malformed, forged or expired at `now`.
    public func verify(_ value: String, now: Date = Date()) -> VerifiedIdentity? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1",
              let givenMAC = Base64URL.decode(String(parts[2])),
              HMAC<SHA256>.isValidAuthenticationCode(givenMAC, authenticating: Array("v1.\(parts[1])".utf8), using: key),
              let json = Base64URL.decode(String(parts[1])),
              let identity = try? JSONDecoder().decode(VerifiedIdentity.self, from: Data(json)),
              identity.expiresAt > Int64(now.timeIntervalSince1970)
        else { return nil }
        return identity
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
