import ChatEvents
import IdentityData
import ServiceDatabase
import ServiceKit

/// The auth service: accounts, password checks and tokens.
@main
struct AuthCommand: DatabaseServiceCommand {
    static let service = ServiceName.auth
    static let summary = "Registers users, checks passwords and issues access and refresh tokens."
    @OptionGroup var options: ServiceOptions

    /// Start order: the database, Redis and Kafka, the hashing pool, the janitor, then the HTTP server (which stops
    /// first).
    func assemble(_ assembly: ServiceAssembly) async throws {
        let reader = assembly.settings.reader
        let postgres = try assembly.addDatabase(migrations: Self.migrations)
        let redis = assembly.addRedis()
        let producer = try assembly.addEventProducer()
        let accessTokenLifetime = try reader.integer(.accessTokenTTLSeconds, range: 5...86_400)
        let denylist = TokenDenylist(redis: redis, accessTokenLifetimeSeconds: accessTokenLifetime)
        let hasher = try await PasswordHasher(cost: try reader.integer(.bcryptCost, range: 4...31))
        assembly.add(hasher)
        let refreshTokens = RefreshTokens(
            postgres: postgres, lifetime: .seconds(86_400 * (try reader.integer(.refreshTokenTTLDays, range: 1...365))))
        assembly.add(RefreshTokenJanitor(postgres: postgres, logger: assembly.logger))
        let issuer = await AccessTokenIssuer(
            keys: try SigningKeys.configured(reader, logger: assembly.logger),
            lifetime: .seconds(accessTokenLifetime))
        AuthRoutes(
            accounts: AccountStore(postgres: postgres, refreshTokens: refreshTokens),
            refreshTokens: refreshTokens, hasher: hasher, issuer: issuer,
            throttle: LoginThrottle(redis: redis, policy: LoginPolicy(pairLimit: try reader.integer(.loginFailureLimit, range: 1...10_000))),
            registrations: RegistrationLimit(
                limiter: RateLimiter(redis: redis, prefix: "ratelimit:register"),
                perHour: try reader.integer(.registerLimitPerAddress, range: 1...1_000_000)),
            denylist: denylist, sessions: SessionRevocations(denylist: denylist, producer: producer),
            identitySigner: try IdentitySigner.configured(assembly.settings, logger: assembly.logger)
        ).add(to: assembly.router)
    }
}
