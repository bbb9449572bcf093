import Foundation
import Hummingbird
import IdentityData
import ServiceKit

/// The `/v1/auth` routes of the contract: register, login, refresh and JWKS are public; logout needs the identity
/// the gateway passes (``IdentityMiddleware``).
struct AuthRoutes: Sendable {
    let accounts: AccountStore
    let refreshTokens: RefreshTokens
    let hasher: PasswordHasher
    let issuer: AccessTokenIssuer
    let throttle: LoginThrottle
    /// Sign-ups per client network (``ClientNetwork``) per hour, shared by every auth instance.
    let registrations: RegistrationLimit
    let denylist: TokenDenylist
    let sessions: SessionRevocations
    let identitySigner: IdentitySigner

    /// What register, login and refresh answer: `{user, accessToken, refreshToken, expiresIn}`.
    struct Session: ResponseEncodable, Sendable {
        let user: UserRecord
        let accessToken: String
        let refreshToken: String
        /// Seconds until the access token expires.
        let expiresIn: Int
    }

    func add(to router: Router<ServiceRequestContext>) {
        router.post("/v1/auth/register") { request, context in
            EditedResponse(status: .created, response: try await register(request, context))
        }
        router.post("/v1/auth/login") { request, context in try await login(request, context) }
        router.post("/v1/auth/refresh") { request, context in try await refresh(request, context) }
        router.get("/v1/auth/jwks") { _, _ in
            EditedResponse(headers: [.cacheControl: "public, max-age=300"], response: issuer.jwks)
        }
        router.group("/v1/auth/logout")
            .add(middleware: IdentityMiddleware(signer: identitySigner))
            .post { request, context in try await logout(request, context) }
    }

    private func register(_ request: Request, _ context: ServiceRequestContext) async throws -> Session {
        let fields = try await request.decode(as: RegisterRequest.self, context: context).validated()
        try await registrations.take(for: request.clientAddress(context))
        let hash = try await hasher.hash(fields.password)
        let account = try await accounts.register(username: fields.username, displayName: fields.displayName, passwordHash: hash)
        return try await session(for: account.user, refresh: account.refresh)
    }

    /// Wrong username and wrong password get the same answer after the same work (a bcrypt check either way).
    private func login(_ request: Request, _ context: ServiceRequestContext) async throws -> Session {
        let body = try await request.decode(as: LoginRequest.self, context: context)
        let username = AccountRules.isValidUsername(body.username) ? body.username.lowercased() : nil
        let attempt = try await throttle.begin(username: username, address: request.clientAddress(context))
        var account: (user: UserRecord, passwordHash: String)?
        let matches: Bool
        do {
            if attempt.delay > .zero { try await Task.sleep(for: attempt.delay) }
            if let username { account = try await accounts.credentials(username: username) }
            matches = try await hasher.verify(body.password, against: account?.passwordHash)
        } catch {
            // Not checked (auth overloaded, the database away): no failure to count against the user.
            do { try await throttle.release(attempt) } catch let releaseError {
                context.logger.warning("could not release a login attempt", metadata: ["error": "\(releaseError)"])
            }
            throw error
        }
        guard matches, let account else {
            do { try await throttle.failed(attempt) } catch {
                context.logger.warning("could not count a failed login against its address", metadata: ["error": "\(error)"])
            }
            throw APIError.unauthorized("invalid username or password")
        }
        do {
            try await throttle.release(attempt)
        } catch {
            // The login stands; the attempt merely stays counted as a failure until the window ends.
            context.logger.warning("could not release a login attempt", metadata: ["error": "\(error)"])
        }
        return try await session(for: account.user, refresh: try await refreshTokens.startFamily(userId: account.user.id))
    }

    private func refresh(_ request: Request, _ context: ServiceRequestContext) async throws -> Session {
        let body = try await request.decode(as: RefreshTokenRequest.self, context: context)
        switch try await refreshTokens.rotate(body.refreshToken) {
        case .rotated(let token, let family, let user):
            return try await session(for: user, refresh: .init(token: token, family: family))
        case .reused(let family, let userId):
            context.logger.warning("refresh token reused: family revoked", metadata: ["family": "\(family)"])
            try await sessions.end(family: family, of: userId, reason: .reuse)
            throw APIError.unauthorized("invalid refresh token")
        case .invalid:
            throw APIError.unauthorized("invalid refresh token")
        }
    }

    /// Revokes the refresh family and every access token of it (the one that made the call included), and closes
    /// the WebSockets opened with them on every chat instance.
    private func logout(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let body = try await request.decode(as: RefreshTokenRequest.self, context: context)
        try await denylist.deny(tokenId: identity.tokenId, expiresAt: identity.expiresAt, now: Int64(Date().timeIntervalSince1970))
        if let family = try await refreshTokens.revokeFamily(of: body.refreshToken, userId: identity.userId) {
            try await sessions.end(family: family, of: identity.userId, reason: .logout)
        }
        // The socket of the access token that called, when its family differs from the refresh token's.
        if let family = identity.familyId {
            try await sessions.end(family: family, of: identity.userId, reason: .logout)
        }
        return Response(status: .noContent)
    }

    private func session(for user: UserRecord, refresh: RefreshTokens.Started) async throws -> Session {
        let access = try await issuer.issue(userId: user.id, username: user.username, familyId: refresh.family)
        return Session(user: user, accessToken: access.value, refreshToken: refresh.token, expiresIn: access.expiresIn)
    }
}

extension AccessTokenIssuer.JWKSet: ResponseEncodable {}
