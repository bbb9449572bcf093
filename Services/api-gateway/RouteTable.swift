import ServiceKit

/// Which service serves a public path, and whether the path needs an access token.
enum RouteTable {
    struct Route: Equatable {
        let service: ServiceName
        let requiresToken: Bool
    }

    /// Paths callers use before they have a token.
    private static let publicPaths: Set<String> = [
        "/v1/auth/register", "/v1/auth/login", "/v1/auth/refresh", "/v1/auth/jwks",
    ]

    /// The route for `path`, nil when no service serves it.
    static func route(for path: String) -> Route? {
        let service: ServiceName
        if matches(path, "/v1/auth") {
            service = .auth
        } else if matches(path, "/v1/users") {
            service = .user
        } else if matches(path, "/v1/conversations") || matches(path, "/v1/attachments") || path == "/v1/ws" {
            service = .chat
        } else if matches(path, "/v1/notifications") {
            service = .notification
        } else {
            return nil
        }
        return Route(service: service, requiresToken: !publicPaths.contains(path))
    }

    /// What the metrics and spans call a forwarded request's route: a public path as it is, any other by its
    /// service's prefix (`/v1/users/*`), so that ids in paths do not make a series each.
    static func label(for path: String) -> String {
        if publicPaths.contains(path) || path == "/v1/ws" { return path }
        let segments = path.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: true)
        return segments.count < 2 ? path : "/\(segments[0])/\(segments[1])" + (segments.count > 2 ? "/*" : "")
    }

    /// `path` is `prefix` itself or below it (`/v1/users` and `/v1/users/me`, not `/v1/usersX`).
    private static func matches(_ path: String, _ prefix: String) -> Bool {
        path == prefix || (path.hasPrefix(prefix) && path.dropFirst(prefix.count).first == "/")
    }
}
