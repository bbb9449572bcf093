import IdentityData
import ServiceKit

/// `POST /v1/auth/register` `{username, password, displayName?}`.
struct RegisterRequest: Decodable, Sendable {
    let username: String
    let password: String
    let displayName: String?

    /// 400 `invalid_request` unless the username and password follow the contract's rules; the display name
    /// (trimmed) defaults to the username.
    func validated() throws -> (username: String, password: String, displayName: String) {
        guard AccountRules.isValidUsername(username) else {
            throw APIError.invalidRequest("username must be 3–32 characters of a–z, 0–9, '_' and '.'")
        }
        guard AccountRules.isValidPassword(password) else {
            throw APIError.invalidRequest("password must be 8–128 characters")
        }
        return (username, password, try displayName.map(UserRecord.validatedDisplayName) ?? username)
    }
}

/// `POST /v1/auth/login` `{username, password}`.
struct LoginRequest: Decodable, Sendable {
    let username: String
    let password: String
}

/// `POST /v1/auth/refresh` and `POST /v1/auth/logout` `{refreshToken}`.
struct RefreshTokenRequest: Decodable, Sendable {
    let refreshToken: String
}

/// The contract's rules for account fields.
enum AccountRules {
    /// 3–32 characters of `[a-z0-9_.]`, letters in either case (usernames are unique regardless of case and kept
    /// as typed).
    static func isValidUsername(_ username: String) -> Bool {
        (3...32).contains(username.unicodeScalars.count)
            && username.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "."
            }
    }

    /// 8–128 characters.
    static func isValidPassword(_ password: String) -> Bool {
        (8...128).contains(password.count)
    }
}
