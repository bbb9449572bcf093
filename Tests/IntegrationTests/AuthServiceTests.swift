import Crypto
import Foundation
import JWTKit
import Postgres
import ServiceKit
import Testing

/// The real `auth` executable against the local stack, called directly with the identity the gateway would sign.
@Suite(
    .timeLimit(.minutes(5)),
    IdentityServices.Scope(specifications: [
        ("auth", 18181, AuthTestSetup.environment),
        // A second instance with a small sign-up limit (the suite's own registrations must not meet it).
        ("auth", 18188, ["CHAT_REGISTER_LIMIT_PER_ADDRESS": "2"]),
    ]))
struct AuthServiceTests {

    /// A client address of its own, so that the per-address login throttle of one test never meets another's.
    static func freshAddress() -> [(String, String)] {
        [("X-Forwarded-For", "10.\(Int.random(in: 0...255)).\(Int.random(in: 0...255)).\(Int.random(in: 1...254)), 192.0.2.1")]
    }

    static func login(_ auth: IdentityHTTP, _ username: String, _ password: String, from address: [(String, String)] = freshAddress()) async throws
        -> IdentityHTTP.Reply
    {
        try await auth.send(.POST, "/v1/auth/login", json: ["username": username, "password": password], headers: address)
    }

    @Test func registerAnswersTheUserAndTokensTheJWKSVerifies() async throws {
        let auth = try IdentityServices.running.client("auth")
        let session = try await auth.register("reg")
        #expect(session.user.displayName == session.user.username)
        #expect(session.user.bio == nil && session.user.avatarUrl == nil)
        #expect(session.user.createdAt.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil)
        #expect(session.expiresIn == 900)
        #expect(Base64URL.decode(session.refreshToken)?.count == 32)

        let jwks = try await auth.send(.GET, "/v1/auth/jwks")
        #expect(jwks.status == 200)
        let keys = try jwks.decode(JWKSBody.self).keys
        #expect(keys.count == 1)
        let key = try #require(keys.first)
        #expect(key.kty == "OKP" && key.crv == "Ed25519" && key.alg == "EdDSA" && key.use == "sig")
        #expect(try tokenHeader(session.accessToken).kid == key.kid)

        let collection = JWTKeyCollection()
        try await collection.add(jwksJSON: jwks.body)
        let claims = try await collection.verify(session.accessToken, as: AccessTokenClaims.self)
        #expect(claims.sub.value == session.user.id && claims.username == session.user.username)
        #expect(claims.aud.value == [AccessTokenClaims.audience] && claims.iss.value == AccessTokenClaims.issuer)
        #expect(abs(claims.exp.value.timeIntervalSince(claims.iat.value) - 900) < 1)
    }

    @Test func developmentKeyIsKeptPrivateInTheStateDirectoryAndSurvivesRestarts() async throws {
        let auth = try IdentityServices.running.client("auth")
        let file = AuthTestSetup.stateDirectory.appending(path: "auth/jwt-signing-key")
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let text = try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: try #require(Data(base64Encoded: text)))
        let jwks = try await auth.send(.GET, "/v1/auth/jwks")
        let key = try #require(try jwks.decode(JWKSBody.self).keys.first)
        #expect(key.x == Base64URL.encode(privateKey.publicKey.rawRepresentation))
        #expect(key.kid == thumbprint(privateKey.publicKey))

        let restarted = try await IdentityServices.start("auth", port: 18185, environment: AuthTestSetup.environment)
        let again = try await IdentityHTTP(port: restarted.port).send(.GET, "/v1/auth/jwks")
        #expect(try again.decode(JWKSBody.self).keys.map(\.kid) == [key.kid])
        #expect(try await restarted.terminate() == 0)
    }

    @Test(arguments: [18184, 18187])
    func configuredSigningKeyIsUsedAndRetiredKeysArePublished(port: Int) async throws {
        let current = Curve25519.Signing.PrivateKey()
        let retired = Curve25519.Signing.PrivateKey()
        let encoded = current.rawRepresentation.base64EncodedString()
        var environment = ["CHAT_JWT_RETIRED_PUBLIC_KEYS": "old-key=\(retired.publicKey.rawRepresentation.base64EncodedString())"]
        // One process reads the key from the variable, the other from a file (a mounted secret).
        let keyFile = FileManager.default.temporaryDirectory.appending(path: TestStack.unique("jwt-key"))
        if port == 18184 {
            environment["CHAT_JWT_SIGNING_KEY"] = encoded
        } else {
            try Data((encoded + "\n").utf8).write(to: keyFile)
            environment["CHAT_JWT_SIGNING_KEY_FILE"] = keyFile.path
        }
        defer { try? FileManager.default.removeItem(at: keyFile) }
        let process = try await IdentityServices.start("auth", port: port, environment: environment)
        let auth = IdentityHTTP(port: process.port)
        let jwks = try await auth.send(.GET, "/v1/auth/jwks")
        let keys = try jwks.decode(JWKSBody.self).keys
        #expect(keys.map(\.kid) == [thumbprint(current.publicKey), "old-key"])
        #expect(keys.map(\.x) == [current.publicKey, retired.publicKey].map { Base64URL.encode($0.rawRepresentation) })

        let session = try await auth.register("keyed")
        #expect(try tokenHeader(session.accessToken).kid == thumbprint(current.publicKey))
        let collection = JWTKeyCollection()
        try await collection.add(jwksJSON: jwks.body)
        #expect(try await collection.verify(session.accessToken, as: AccessTokenClaims.self).sub.value == session.user.id)
        #expect(try await process.terminate() == 0)
    }

    @Test func registerRefusesInvalidInputWith400AndTakenNamesWith409() async throws {
        let auth = try IdentityServices.running.client("auth")
        let password = "long enough"
        let invalid: [String] = [
            "not json", "", "[]", "{}", #"{"username":"valid_name"}"#, #"{"password":"long enough"}"#,
            #"{"username":123,"password":"long enough"}"#,
            #"{"username":"ab","password":"long enough"}"#,
            #"{"username":"\#(String(repeating: "a", count: 33))","password":"long enough"}"#,
            #"{"username":"has space","password":"long enough"}"#,
            #"{"username":"dash-name","password":"long enough"}"#,
            #"{"username":"ünï_code","password":"long enough"}"#,
            #"{"username":"valid_name","password":"7 chars"}"#,
            #"{"username":"valid_name","password":"\#(String(repeating: "p", count: 129))"}"#,
            #"{"username":"valid_name","password":"long enough","displayName":"   "}"#,
            #"{"username":"valid_name","password":"long enough","displayName":"\#(String(repeating: "d", count: 65))"}"#,
        ]
        for body in invalid {
            let reply = try await auth.send(.POST, "/v1/auth/register", body: body)
            #expect(reply.status == 400 && reply.errorCode == "invalid_request", "\(body) → \(reply.status) \(reply.body)")
        }

        // The bounds themselves are fine: 32-character username, 8- and 128-character passwords, 64-character name.
        let longest = "b" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(31).lowercased()
        let accepted = try await auth.send(
            .POST, "/v1/auth/register",
            json: [
                "username": longest, "password": String(repeating: "p", count: 128),
                "displayName": String(repeating: "d", count: 64),
            ])
        #expect(accepted.status == 201, "\(accepted.body)")
        let eight = try await auth.register("eight", password: "12345678", displayName: "  Spaced Out  ")
        #expect(eight.user.displayName == "Spaced Out")

        // Usernames keep their case but are unique regardless of it.
        let mixed = "Dup_\(UUID().uuidString.prefix(8).lowercased())"
        let first = try await auth.send(.POST, "/v1/auth/register", json: ["username": mixed, "password": password])
        #expect(first.status == 201)
        #expect(try first.decode(SessionBody.self).user.username == mixed)
        let taken = try await auth.send(.POST, "/v1/auth/register", json: ["username": mixed.uppercased(), "password": password])
        #expect(taken.status == 409 && taken.errorCode == "conflict")
    }

    @Test func loginTakesTheUsernameInAnyCaseAndRefusesWrongOnesWithOneMessage() async throws {
        let auth = try IdentityServices.running.client("auth")
        let session = try await auth.register("Login")
        let login = try await Self.login(auth, session.user.username.lowercased(), "correct horse battery")
        #expect(login.status == 200)
        let loggedIn = try login.decode(SessionBody.self)
        #expect(loggedIn.user == session.user)
        #expect(loggedIn.refreshToken != session.refreshToken && loggedIn.accessToken != session.accessToken)

        let wrongPassword = try await Self.login(auth, session.user.username, "incorrect horse")
        let unknownUser = try await Self.login(auth, "nobody_\(UUID().uuidString.prefix(8))", "correct horse battery")
        let malformedName = try await Self.login(auth, "no such name!", "correct horse battery")
        for reply in [wrongPassword, unknownUser, malformedName] {
            #expect(reply.status == 401 && reply.errorCode == "unauthorized")
            #expect(try reply.decode(IdentityHTTP.Reply.ErrorBody.self).error.message == "invalid username or password")
        }
        for body in ["{", #"{"username":"x"}"#, #"{"username":"x","password":7}"#] {
            let reply = try await auth.send(.POST, "/v1/auth/login", body: body, headers: Self.freshAddress())
            #expect(reply.status == 400 && reply.errorCode == "invalid_request", "\(body)")
        }
    }

    @Test func guessesAreRefusedPerUsernameAndAddressButNeverLockTheOwnerOut() async throws {
        let auth = try IdentityServices.running.client("auth")
        let session = try await auth.register("victim")
        let attacker = Self.freshAddress()
        for _ in 0..<3 {
            #expect(try await Self.login(auth, session.user.username, "guess guess", from: attacker).status == 401)
        }
        // The limit (3) is reached for this username from this address: refused there, right password or not…
        let refused = try await Self.login(auth, session.user.username.uppercased(), "correct horse battery", from: attacker)
        #expect(refused.status == 429 && refused.errorCode == "rate_limited")
        let retryAfter = try #require(refused.headers.first(name: "Retry-After").flatMap { Int($0) })
        #expect((1...900).contains(retryAfter))
        // …while the owner signs in from their own address, and another user from the attacker's.
        #expect(try await Self.login(auth, session.user.username, "correct horse battery").status == 200)
        let other = try await auth.register("bystander")
        #expect(try await Self.login(auth, other.user.username, "correct horse battery", from: attacker).status == 200)
    }

    @Test func guessesFromManyAddressesAreSlowedNotRefused() async throws {
        let auth = try IdentityServices.running.client("auth")
        let session = try await auth.register("spread")
        // Past twice the limit (3) across addresses, attempts for the username are slowed (250 ms and more)…
        for _ in 0..<6 {
            #expect(try await Self.login(auth, session.user.username, "guess guess").status == 401)
        }
        let started = ContinuousClock.now
        let slowed = try await Self.login(auth, session.user.username, "guess guess")
        #expect(slowed.status == 401 && ContinuousClock.now - started >= .milliseconds(250))
        // …but the right password still works.
        #expect(try await Self.login(auth, session.user.username, "correct horse battery").status == 200)
    }

    @Test func oneAddressGuessingManyUsernamesIsRefusedAndSuccessesNeverCount() async throws {
        let auth = try IdentityServices.running.client("auth")
        let session = try await auth.register("shared")
        let busy = Self.freshAddress()
        for _ in 0..<20 {
            #expect(try await Self.login(auth, session.user.username, "correct horse battery", from: busy).status == 200)
        }
        // The address limit is five times the limit (3): 15 failures over as many usernames, then 429 for the address.
        let attacker = Self.freshAddress()
        for index in 0..<15 {
            #expect(try await Self.login(auth, "unknown_\(index)_\(UUID().uuidString.prefix(6))", "guess guess", from: attacker).status == 401)
        }
        let refused = try await Self.login(auth, session.user.username, "correct horse battery", from: attacker)
        #expect(refused.status == 429 && refused.headers.first(name: "Retry-After") != nil)
        #expect(try await Self.login(auth, session.user.username, "correct horse battery", from: busy).status == 200)
    }

    @Test func manyPeopleBehindOneAddressSignInAtOnce() async throws {
        let auth = try IdentityServices.running.client("auth")
        var usernames: [String] = []
        for index in 0..<30 { usernames.append(try await auth.register("crowd\(index)").user.username) }
        // Thirty correct logins at once from one address, twice the address's failure limit (15): none is a failure.
        let office = Self.freshAddress()
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for username in usernames {
                group.addTask { try await Self.login(auth, username, "correct horse battery", from: office).status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 30))
    }

    @Test func signUpsAreLimitedPerAddressAndPerIPv6Network() async throws {
        let auth = try IdentityServices.running.client("auth@18188")
        func register(from address: String) async throws -> Int {
            try await auth.send(
                .POST, "/v1/auth/register",
                json: [
                    "username": "limit_\(UUID().uuidString.prefix(8).lowercased())", "password": "correct horse battery",
                ], headers: [("X-Forwarded-For", address)]
            ).status
        }
        let v4 = "10.\(Int.random(in: 0...255)).\(Int.random(in: 0...255)).7"
        for expected in [201, 201, 429] { #expect(try await register(from: v4) == expected) }
        // Two addresses of one IPv6 /64 share a budget; another /64 has its own.
        let prefix = "2001:db8:\(String(Int.random(in: 1...0xfff), radix: 16)):\(String(Int.random(in: 1...0xfff), radix: 16))"
        for (suffix, expected) in [("::1", 201), ("::2", 201), (":ffff::3", 429)] {
            #expect(try await register(from: prefix + suffix) == expected)
        }
        #expect(try await register(from: "2001:db8:ffff:\(String(Int.random(in: 1...0xfff), radix: 16))::1") == 201)
    }

    @Test func refreshRotatesAndReuseRevokesTheWholeFamily() async throws {
        let auth = try IdentityServices.running.client("auth")
        let session = try await auth.register("rotate")
        let first = try await auth.send(.POST, "/v1/auth/refresh", json: ["refreshToken": session.refreshToken])
        #expect(first.status == 200)
        let rotated = try first.decode(SessionBody.self)
        #expect(rotated.user == session.user && rotated.refreshToken != session.refreshToken)
        let second = try await auth.send(.POST, "/v1/auth/refresh", json: ["refreshToken": rotated.refreshToken])
        #expect(second.status == 200)
        let latest = try second.decode(SessionBody.self)

        // A second login is a family of its own.
        let otherDevice = try await Self.login(auth, session.user.username, "correct horse battery").decode(SessionBody.self)

        // The spent first token comes back: refused, and the family's live token dies with it.
        let reuse = try await auth.send(.POST, "/v1/auth/refresh", json: ["refreshToken": session.refreshToken])
        #expect(reuse.status == 401 && reuse.errorCode == "unauthorized")
        let afterReuse = try await auth.send(.POST, "/v1/auth/refresh", json: ["refreshToken": latest.refreshToken])
        #expect(afterReuse.status == 401)
        #expect(try await auth.send(.POST, "/v1/auth/refresh", json: ["refreshToken": rotated.refreshToken]).status == 401)

        #expect(try await auth.send(.POST, "/v1/auth/refresh", json: ["refreshToken": otherDevice.refreshToken]).status == 200)
        #expect(try await auth.send(.POST, "/v1/auth/refresh", json: ["refreshToken": "made-up"]).status == 401)
        for body in ["{}", "nope", #"{"refreshToken":1}"#] {
            let reply = try await auth.send(.POST, "/v1/auth/refresh", body: body)
            #expect(reply.status == 400 && reply.errorCode == "invalid_request", "\(body)")
        }
    }

    @Test func expiredRefreshTokenIsRefused() async throws {
        let auth = try IdentityServices.running.client("auth")
        let session = try await auth.register("expired")
        let hash = SHA256.hash(data: Array(session.refreshToken.utf8)).map { String(format: "%02x", $0) }.joined()
        let updated = try await IdentityServices.withDatabase { database in
            try await database.query(
                "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1 RETURNING token_hash", [hash])
        }
        #expect(updated.count == 1)
        let reply = try await auth.send(.POST, "/v1/auth/refresh", json: ["refreshToken": session.refreshToken])
        #expect(reply.status == 401 && reply.errorCode == "unauthorized")
    }

    @Test func logoutRevokesTheFamilyAndDenylistsTheAccessToken() async throws {
        let auth = try IdentityServices.running.client("auth")
        let session = try await auth.register("logout")
        let bystander = try await auth.register("bystander")
        let identity = try session.identity

        // Another user's refresh token in the body is left alone.
        let foreign = try await auth.send(.POST, "/v1/auth/logout", json: ["refreshToken": bystander.refreshToken], identity: identity)
        #expect(foreign.status == 204)
        #expect(try await auth.send(.POST, "/v1/auth/refresh", json: ["refreshToken": bystander.refreshToken]).status == 200)

        let logout = try await auth.send(.POST, "/v1/auth/logout", json: ["refreshToken": session.refreshToken], identity: identity)
        #expect(logout.status == 204 && logout.body.isEmpty)
        #expect(try await auth.send(.POST, "/v1/auth/refresh", json: ["refreshToken": session.refreshToken]).status == 401)

        let redis = RedisTestCluster.main.client()
        let denylist = TokenDenylist(redis: redis)
        #expect(try await denylist.isRevoked(identity))
        #expect(try await !denylist.isRevoked(bystander.identity))
        await redis.close()

        let malformed = try await auth.send(.POST, "/v1/auth/logout", body: "{", identity: identity)
        #expect(malformed.status == 400 && malformed.errorCode == "invalid_request")
    }

    @Test func logoutRefusesMissingForgedTamperedAndExpiredIdentities() async throws {
        let auth = try IdentityServices.running.client("auth")
        let session = try await auth.register("forged")
        let identity = try session.identity
        let body = #"{"refreshToken":"\#(session.refreshToken)"}"#
        let expired = VerifiedIdentity(
            userId: identity.userId, username: identity.username, tokenId: identity.tokenId,
            expiresAt: Int64(Date().timeIntervalSince1970) - 1, familyId: identity.familyId)
        let signer = IdentityServices.signer
        let valid = signer.sign(identity, method: .post, path: "/v1/auth/logout")
        let parts = valid.split(separator: ".").map(String.init)
        let otherPayload = signer.sign(
            VerifiedIdentity(userId: "someone-else", username: "someone", tokenId: "x", expiresAt: identity.expiresAt, familyId: nil),
            method: .post, path: "/v1/auth/logout"
        ).split(separator: ".")[1]
        let attempts: [(String, [(String, String)])] = [
            ("none", []),
            (
                "another secret",
                [
                    (
                        "X-Chat-Identity",
                        try IdentitySigner(secret: String(repeating: "k", count: 40)).sign(
                            identity, method: .post, path: "/v1/auth/logout")
                    )
                ]
            ),
            ("expired", [("X-Chat-Identity", signer.sign(expired, method: .post, path: "/v1/auth/logout"))]),
            ("signed for another path", [("X-Chat-Identity", signer.sign(identity, method: .post, path: "/v1/auth/refresh"))]),
            ("signed for another method", [("X-Chat-Identity", signer.sign(identity, method: .get, path: "/v1/auth/logout"))]),
            (
                "signed two minutes ago",
                [
                    (
                        "X-Chat-Identity",
                        signer.sign(
                            identity, method: .post, path: "/v1/auth/logout", now: Date().addingTimeInterval(-120))
                    )
                ]
            ),
            ("unsigned", [("X-Chat-Identity", "v1.\(parts[1]).")]),
            ("tampered", [("X-Chat-Identity", "v1.\(otherPayload).\(parts[2])")]),
            ("garbage", [("X-Chat-Identity", "Bearer \(session.accessToken)")]),
        ]
        for (name, headers) in attempts {
            let reply = try await auth.send(.POST, "/v1/auth/logout", body: body, headers: headers)
            #expect(reply.status == 401 && reply.errorCode == "unauthorized", "\(name)")
        }
        // Nothing was revoked by those attempts.
        #expect(try await auth.send(.POST, "/v1/auth/refresh", body: body).status == 200)
    }

    @Test func defaultBcryptCostIsTwelveAndUnknownUsersTakeAsLong() async throws {
        let process = try await IdentityServices.start("auth", port: 18183, environment: ["CHAT_BCRYPT_COST": ""])
        let auth = IdentityHTTP(port: process.port)
        let session = try await auth.register("costly")
        let stored = try await IdentityServices.withDatabase { database in
            try await database.query("SELECT password_hash FROM credentials WHERE user_id = $1", [session.user.id])
        }
        let hash = try #require(stored.first?["password_hash"])
        #expect(hash.hasPrefix("$2") && hash.dropFirst(3).hasPrefix("$12$"), "\(hash)")

        // Each failing login checks a cost-12 hash, whether or not the user exists.
        func fastest(_ username: String) async throws -> Duration {
            var durations: [Duration] = []
            for _ in 0..<3 {
                let started = ContinuousClock.now
                #expect(try await Self.login(auth, username, "wrong password").status == 401)
                durations.append(ContinuousClock.now - started)
            }
            return durations.min()!
        }
        let wrongPassword = try await fastest(session.user.username)
        let unknownUser = try await fastest("ghost_\(UUID().uuidString.prefix(8).lowercased())")
        #expect(unknownUser > wrongPassword * 0.4, "unknown \(unknownUser) vs wrong password \(wrongPassword)")
        #expect(try await process.terminate() == 0)
    }

    // MARK: Helpers

    struct JWKSBody: Decodable {
        struct Key: Decodable { let kty, crv, x, kid, alg, use: String }
        let keys: [Key]
    }

    struct Header: Decodable {
        let alg: String
        let kid: String
    }

    func tokenHeader(_ token: String) throws -> Header {
        let encoded = try #require(token.split(separator: ".").first)
        let header = try JSONDecoder().decode(Header.self, from: Data(try #require(Base64URL.decode(String(encoded)))))
        #expect(header.alg == "EdDSA")
        return header
    }

    /// RFC 7638 thumbprint of an Ed25519 key.
    func thumbprint(_ key: Curve25519.Signing.PublicKey) -> String {
        let canonical = #"{"crv":"Ed25519","kty":"OKP","x":"\#(Base64URL.encode(key.rawRepresentation))"}"#
        return Base64URL.encode(SHA256.hash(data: Array(canonical.utf8)))
    }
}

/// The configuration of the suite's auth process: a state directory of its own (for the development key) and a
/// low failed-login limit.
enum AuthTestSetup {
    static let stateDirectory = FileManager.default.temporaryDirectory.appending(path: TestStack.unique("auth-state"))
    static let environment = ["CHAT_LOGIN_FAILURE_LIMIT": "3", "CHAT_STATE_DIR": stateDirectory.path]
}
