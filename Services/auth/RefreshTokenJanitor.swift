import Logging
import Postgres
import ServiceLifecycle

/// Deletes refresh-token families (and, by cascade, their tokens) a day after they expired, once an hour, so the
/// tables hold only families that can still be used or were just revoked. Instances doing it at once is harmless.
struct RefreshTokenJanitor: Service {
    let postgres: PostgresClient
    let logger: Logger
    static let interval: Duration = .seconds(3600)

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let rows = try await postgres.query(
                    """
                    WITH gone AS (DELETE FROM refresh_token_families WHERE expires_at < now() - interval '1 day' RETURNING 1)
                    SELECT count(*) AS deleted FROM gone
                    """)
                let deleted = try rows.first?.decode("deleted", as: Int.self) ?? 0
                if deleted > 0 { logger.info("deleted expired refresh-token families", metadata: ["count": "\(deleted)"]) }
            } catch {
                logger.warning("could not delete expired refresh-token families", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }
        }
    }
}
