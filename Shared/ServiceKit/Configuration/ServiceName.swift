/// The five executables of the product, with their default HTTP ports.
public enum ServiceName: String, CaseIterable, Sendable {
    case apiGateway = "api-gateway"
    case auth
    case user
    case chat
    case notification

    /// The port each service listens on when `CHAT_HTTP_PORT` is not set.
    public var defaultPort: Int {
        switch self {
        case .apiGateway: 8080
        case .auth: 8081
        case .user: 8082
        case .chat: 8083
        case .notification: 8084
        }
    }

    /// The PostgreSQL database a service uses on the shared server. auth and user share `identity`: auth writes
    /// the account (credentials and the profile row) in one transaction at registration, so the profile exists the
    /// moment register returns; user owns the profile fields, contacts and blocks.
    public var databaseName: String {
        switch self {
        case .apiGateway: "gateway"
        case .auth, .user: "identity"
        case .chat: "chat"
        case .notification: "notification"
        }
    }
}
