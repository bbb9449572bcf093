import Crypto
import Foundation
import Logging
import ServiceKit

/// The Ed25519 keys of access tokens: the one auth signs with, and retired ones still published in the JWKS so
/// that tokens they signed verify until they expire.
///
/// The signing key comes from `CHAT_JWT_SIGNING_KEY` (base64 of the 32-byte private key), else from the file named
/// by `CHAT_JWT_SIGNING_KEY_FILE`, else from a development key generated once and kept in
/// `$CHAT_STATE_DIR/auth/jwt-signing-key` (mode 0600). Retired keys come from `CHAT_JWT_RETIRED_PUBLIC_KEYS`
/// (`kid=base64 of the 32-byte public key`, comma-separated).
struct SigningKeys: Sendable {
    /// A public key published in the JWKS.
    struct PublishedKey: Sendable {
        let kid: String
        let publicKey: Curve25519.Signing.PublicKey
    }

    let signingKey: Curve25519.Signing.PrivateKey
    /// The RFC 7638 thumbprint of the signing key's public key.
    let signingKid: String
    /// The signing key's public key first, then the retired ones.
    let published: [PublishedKey]

    init(signingKey: Curve25519.Signing.PrivateKey, retired: [PublishedKey]) {
        self.signingKey = signingKey
        let kid = Self.thumbprint(of: signingKey.publicKey)
        signingKid = kid
        published = [PublishedKey(kid: kid, publicKey: signingKey.publicKey)] + retired.filter { $0.kid != kid }
    }

    /// The keys configured in `reader`.
    static func configured(_ reader: ConfigReader, logger: Logger) throws -> SigningKeys {
        let signingKey: Curve25519.Signing.PrivateKey
        if let encoded = reader.optional(.jwtSigningKey) {
            signingKey = try privateKey(base64: encoded, source: ConfigKey.jwtSigningKey.name)
        } else if let path = reader.optional(.jwtSigningKeyFile) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw SigningKeyError("\(ConfigKey.jwtSigningKeyFile.name)=\(path): cannot read the file")
            }
            signingKey = try privateKey(base64: text, source: ConfigKey.jwtSigningKeyFile.name)
        } else {
            let path = URL(filePath: reader.string(.stateDirectory)).appending(path: "auth/jwt-signing-key")
            signingKey = try developmentKey(at: path)
            logger.warning(
                "signing access tokens with the development key; set CHAT_JWT_SIGNING_KEY or CHAT_JWT_SIGNING_KEY_FILE in production",
                metadata: ["path": "\(path.path)"])
        }
        let retired = try reader.list(.jwtRetiredPublicKeys).map { entry in
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let bytes = decodeBase64(parts[1]),
                let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)
            else {
                throw SigningKeyError("\(ConfigKey.jwtRetiredPublicKeys.name): '\(entry)' is not kid=base64 of a 32-byte Ed25519 public key")
            }
            return PublishedKey(kid: parts[0], publicKey: publicKey)
        }
        return SigningKeys(signingKey: signingKey, retired: retired)
    }

    /// The RFC 7638 JWK thumbprint of `publicKey`: base64url SHA-256 of its canonical JWK.
    static func thumbprint(of publicKey: Curve25519.Signing.PublicKey) -> String {
        let canonical = #"{"crv":"Ed25519","kty":"OKP","x":"\#(Base64URL.encode(publicKey.rawRepresentation))"}"#
        return Base64URL.encode(SHA256.hash(data: Array(canonical.utf8)))
    }

    /// The private key in `text`; `source` names where it came from in the error.
    private static func privateKey(base64 text: String, source: String) throws -> Curve25519.Signing.PrivateKey {
        guard let bytes = decodeBase64(text), let privateKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes) else {
            throw SigningKeyError("\(source): expected base64 of a 32-byte Ed25519 private key")
        }
        return privateKey
    }

    /// Standard or URL-safe base64, padded or not, surrounding white space ignored.
    private static func decodeBase64(_ text: String) -> [UInt8]? {
        Base64URL.decode(
            text.trimmingCharacters(in: .whitespacesAndNewlines)
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: ""))
    }

    /// The key kept at `path`, created first when missing. Creation writes a temporary file opened with mode 0600
    /// and links it into place, so concurrent first starts agree on one key and none reads a partial file.
    private static func developmentKey(at path: URL) throws -> Curve25519.Signing.PrivateKey {
        let directory = path.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: path.path) {
            try FileManager.default.createDirectory(
                at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let temporary = directory.appending(path: ".jwt-signing-key.\(UUID().uuidString)").path
            let encoded = Array((Curve25519.Signing.PrivateKey().rawRepresentation.base64EncodedString() + "\n").utf8)
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            guard descriptor >= 0 else { throw SigningKeyError("cannot create a key file in \(directory.path)") }
            defer { unlink(temporary) }
            let written = write(descriptor, encoded, encoded.count)
            close(descriptor)
            guard written == encoded.count, link(temporary, path.path) == 0 || errno == EEXIST else {
                throw SigningKeyError("cannot write the development signing key to \(path.path)")
            }
        }
        guard let text = try? String(contentsOf: path, encoding: .utf8) else {
            throw SigningKeyError("cannot read the development signing key at \(path.path)")
        }
        return try privateKey(base64: text, source: path.path)
    }
}

/// A signing key that is missing, unreadable or malformed; the service does not start.
struct SigningKeyError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
