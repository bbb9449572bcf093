import ServiceKit

/// The auth service: accounts, password checks and tokens.
@main
struct AuthCommand: ServiceCommand {
    static let service = ServiceName.auth
    static let summary = "Registers users, checks passwords and issues access and refresh tokens."
    @OptionGroup var options: ServiceOptions

    func assemble(_ assembly: ServiceAssembly) async throws {
        let reader = assembly.settings.reader
        let hasher = try await PasswordHasher(cost: try reader.integer(.bcryptCost, range: 4...31))
        assembly.addService(hasher)
        let refreshTokens = RefreshTokens(
            postgres: assembly.postgres,
            lifetime: .seconds(86_400 * (try reader.integer(.refreshTokenTTLDays, range: 1...365))))
        assembly.addService(RefreshTokenJanitor(postgres: assembly.postgres, logger: assembly.logger))
        let issuer = await AccessTokenIssuer(
            keys: try SigningKeys.configured(reader, logger: assembly.logger),
            lifetime: .seconds(try reader.integer(.accessTokenTTLSeconds, range: 30...86_400)))
        AuthRoutes(
            accounts: AccountStore(postgres: assembly.postgres, refreshTokens: refreshTokens),
            refreshTokens: refreshTokens, hasher: hasher, issuer: issuer,
            throttle: LoginThrottle(redis: assembly.redis, limit: try reader.integer(.loginFailureLimit, range: 1...10_000)),
            denylist: TokenDenylist(redis: assembly.redis),
            identitySigner: try IdentitySigner.configured(assembly.settings, logger: assembly.logger)
        ).add(to: assembly.router)
    }
}
