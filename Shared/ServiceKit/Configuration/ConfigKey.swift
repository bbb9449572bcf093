/// One environment variable the services read: its name, its local default and what it controls.
///
/// Every variable of the product is declared in ``ConfigKey/all``; the README's configuration table is
/// generated from that list (`<service> --print-config-table`) and a test keeps the two in step.
public struct ConfigKey: Sendable, Hashable {
    /// The environment variable, always prefixed `CHAT_`.
    public let name: String
    /// The value used when the variable is unset, suitable for the local stack.
    public let localDefault: String
    /// What the variable controls, for operators.
    public let summary: String

    init(_ name: String, _ localDefault: String, _ summary: String) {
        self.name = name
        self.localDefault = localDefault
        self.summary = summary
    }

    public static let httpHost = ConfigKey("CHAT_HTTP_HOST", "127.0.0.1", "Address the HTTP listener binds (use 0.0.0.0 in containers).")
    public static let httpPort = ConfigKey("CHAT_HTTP_PORT", "per service: 8080–8084", "HTTP port of this service.")
    public static let logLevel = ConfigKey("CHAT_LOG_LEVEL", "info", "trace, debug, info, notice, warning, error or critical.")
    public static let readyTimeoutMilliseconds = ConfigKey("CHAT_READY_TIMEOUT_MS", "2000", "Time each `/ready` dependency check may take.")
    public static let postgresURL = ConfigKey(
        "CHAT_POSTGRES_URL", "postgresql://chat:chat@127.0.0.1:55432/<service database>",
        "libpq connection URI of this service's database (`sslmode=verify-full&sslrootcert=...` on RDS).")
    public static let postgresPoolSize = ConfigKey("CHAT_POSTGRES_POOL_SIZE", "10", "Maximum PostgreSQL connections per instance.")
    public static let postgresStatementTimeoutMilliseconds = ConfigKey(
        "CHAT_POSTGRES_STATEMENT_TIMEOUT_MS", "15000", "Longest a PostgreSQL statement may run before the server cancels it (0: no limit).")
    public static let migrateOnStart = ConfigKey(
        "CHAT_MIGRATE_ON_START", "true", "Apply this service's pending PostgreSQL migrations at start (`<service> migrate` applies them and exits).")
    public static let mongoURI = ConfigKey(
        "CHAT_MONGO_URI", "mongodb://127.0.0.1:27117/chat",
        "DocumentDB/MongoDB URI, e.g. `...?tls=true&tlsCAFile=global-bundle.pem&replicaSet=rs0&readPreference=secondaryPreferred&retryWrites=false`.")
    public static let kafkaBrokers = ConfigKey("CHAT_KAFKA_BROKERS", "written by the local stack", "Comma-separated Kafka bootstrap brokers (MSK).")
    public static let kafkaSecurityProtocol = ConfigKey(
        "CHAT_KAFKA_SECURITY_PROTOCOL", "plaintext", "plaintext, ssl, sasl_plaintext or sasl_ssl (MSK uses ssl or sasl_ssl).")
    public static let kafkaSASLMechanism = ConfigKey("CHAT_KAFKA_SASL_MECHANISM", "", "SCRAM-SHA-512 for MSK SCRAM; empty for none.")
    public static let kafkaSASLUsername = ConfigKey("CHAT_KAFKA_SASL_USERNAME", "", "SASL user name.")
    public static let kafkaSASLPassword = ConfigKey("CHAT_KAFKA_SASL_PASSWORD", "", "SASL password.")
    public static let redisNodes = ConfigKey(
        "CHAT_REDIS_NODES", "127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002", "Seed nodes of the Redis Cluster, host:port, comma-separated.")
    public static let redisUsername = ConfigKey("CHAT_REDIS_USERNAME", "", "Redis ACL user (empty: default user).")
    public static let redisPassword = ConfigKey("CHAT_REDIS_PASSWORD", "", "Redis password (empty: no AUTH).")
    public static let redisTLS = ConfigKey(
        "CHAT_REDIS_TLS", "false", "Connect to the Redis Cluster over TLS, verifying each node's certificate against its address.")
    public static let redisTLSCAFile = ConfigKey(
        "CHAT_REDIS_TLS_CA_FILE", "", "PEM file of the CA that signed the Redis nodes' certificates (empty: the system's trust store).")
    public static let otelEndpoint = ConfigKey(
        "CHAT_OTEL_ENDPOINT", "", "OTLP/HTTP collector for traces, e.g. http://127.0.0.1:4318 (empty: no traces are exported).")
    public static let otelSampleRatio = ConfigKey(
        "CHAT_OTEL_SAMPLE_RATIO", "1", "Fraction of new traces recorded (0–1); a trace started upstream keeps its caller's decision.")
    public static let s3Endpoint = ConfigKey("CHAT_S3_ENDPOINT", "http://127.0.0.1:5055", "S3 endpoint; empty means AWS's regional endpoint.")
    public static let s3Region = ConfigKey("CHAT_S3_REGION", "us-east-1", "AWS region used for signing.")
    public static let s3Bucket = ConfigKey("CHAT_S3_BUCKET", "chat-attachments", "Bucket holding attachments.")
    public static let s3PathStyle = ConfigKey("CHAT_S3_PATH_STYLE", "true", "true for path-style URLs (local), false for virtual-hosted (AWS).")
    public static let s3AccessKeyId = ConfigKey("CHAT_S3_ACCESS_KEY_ID", "test", "Access key id (the task role's credentials in production).")
    public static let s3SecretAccessKey = ConfigKey("CHAT_S3_SECRET_ACCESS_KEY", "test", "Secret access key.")
    public static let s3SessionToken = ConfigKey("CHAT_S3_SESSION_TOKEN", "", "Session token for temporary credentials.")
    public static let upstreamAuth = ConfigKey(
        "CHAT_UPSTREAM_AUTH", "http://127.0.0.1:8081",
        "api-gateway and chat: auth instances, comma-separated base URLs (chat loads the access-token keys there).")
    public static let upstreamUser = ConfigKey(
        "CHAT_UPSTREAM_USER", "http://127.0.0.1:8082", "api-gateway and chat: user instances (chat asks their internal API about users).")
    public static let upstreamChat = ConfigKey(
        "CHAT_UPSTREAM_CHAT", "http://127.0.0.1:8083", "api-gateway and user: chat instances (user asks their internal API about avatar uploads).")
    public static let upstreamNotification = ConfigKey(
        "CHAT_UPSTREAM_NOTIFICATION", "http://127.0.0.1:8084", "api-gateway: notification instances.")
    public static let internalSecret = ConfigKey(
        "CHAT_INTERNAL_SECRET", "written by the local stack",
        "Secret (32 bytes or more) with which the gateway signs the identity it passes to services; the same in every service. Unset: a random one per process, so no identity is accepted."
    )
    public static let stateDirectory = ConfigKey(
        "CHAT_STATE_DIR", ".local", "Local state directory; auth keeps its generated development signing key there.")
    public static let jwtSigningKey = ConfigKey(
        "CHAT_JWT_SIGNING_KEY", "",
        "auth: Ed25519 access-token signing key, base64 of the 32-byte private key. Empty: CHAT_JWT_SIGNING_KEY_FILE, else a development key in CHAT_STATE_DIR."
    )
    public static let jwtSigningKeyFile = ConfigKey(
        "CHAT_JWT_SIGNING_KEY_FILE", "", "auth: file holding that key (a mounted secret).")
    public static let jwtRetiredPublicKeys = ConfigKey(
        "CHAT_JWT_RETIRED_PUBLIC_KEYS", "", "auth: public keys still published in the JWKS during a rotation, `kid=base64`, comma-separated.")
    public static let accessTokenTTLSeconds = ConfigKey("CHAT_ACCESS_TOKEN_TTL_SECONDS", "900", "auth: lifetime of access tokens.")
    public static let refreshTokenTTLDays = ConfigKey("CHAT_REFRESH_TOKEN_TTL_DAYS", "30", "auth: lifetime of a refresh token family.")
    public static let bcryptCost = ConfigKey("CHAT_BCRYPT_COST", "12", "auth: bcrypt cost of password hashes (at least 12 in production).")
    public static let loginFailureLimit = ConfigKey(
        "CHAT_LOGIN_FAILURE_LIMIT", "10",
        "auth: failed logins per username and address in 15 minutes before 429 for that pair; an address gets 5× across usernames; past 2× per username across addresses attempts are slowed, never refused."
    )
    public static let registerLimitPerAddress = ConfigKey(
        "CHAT_REGISTER_LIMIT_PER_ADDRESS", "20", "auth: registrations per hour per client address (per /64 for IPv6).")
    public static let rateLimitPerUser = ConfigKey(
        "CHAT_RATE_LIMIT_PER_USER", "600", "api-gateway: requests per minute per user (token bucket, bursts up to this many).")
    public static let rateLimitPerAddress = ConfigKey(
        "CHAT_RATE_LIMIT_PER_ADDRESS", "1200", "api-gateway: requests per minute per client address.")
    public static let maxBodyBytes = ConfigKey("CHAT_MAX_BODY_BYTES", "1048576", "api-gateway: largest request body; larger → 413.")
    public static let upstreamTimeoutMilliseconds = ConfigKey(
        "CHAT_UPSTREAM_TIMEOUT_MS", "30000", "api-gateway: time an upstream may take to answer; then 504.")
    public static let corsOrigins = ConfigKey(
        "CHAT_CORS_ORIGINS", "", "api-gateway: origins allowed by CORS, comma-separated, `*` for any; empty: no CORS headers.")
    public static let adminHost = ConfigKey(
        "CHAT_ADMIN_HOST", "127.0.0.1",
        "api-gateway: address of the internal listener serving /metrics and /ready with details (0.0.0.0 in containers; never public).")
    public static let adminPort = ConfigKey(
        "CHAT_ADMIN_PORT", "9090", "api-gateway: port of that internal listener; the public listener keeps /health and a /ready without details.")
    public static let webRoot = ConfigKey(
        "CHAT_WEB_ROOT", "Services/api-gateway/Public",
        "api-gateway: folder of the web client, served at / (its openapi.json also at /v1/openapi.json).")
    public static let trustedProxyHops = ConfigKey(
        "CHAT_TRUSTED_PROXY_HOPS", "0",
        "api-gateway: load balancers in front that append to X-Forwarded-For (1 behind an ALB); 0 uses the socket address.")

    public static let sendBudgetPerSecond = ConfigKey(
        "CHAT_SEND_BUDGET_PER_SECOND", "20",
        "chat: messages a second a user may send over WebSockets, across all their sockets; past the budget a send gets `error` rate_limited.")
    public static let sendBudgetBurst = ConfigKey(
        "CHAT_SEND_BUDGET_BURST", "100", "chat: how many messages above that rate a user may send at once (the budget's bucket).")
    public static let socketsPerUser = ConfigKey(
        "CHAT_SOCKETS_PER_USER", "20", "chat: WebSockets a user may hold at once across instances; one more upgrade → 429.")
    public static let writerLingerMilliseconds = ConfigKey(
        "CHAT_WRITER_LINGER_MS", "5",
        "chat: while messages keep coming, the shortest time between the starts of two of the writer's batches; 0 starts the next at once.")
    public static let fanoutFetchWaitMilliseconds = ConfigKey(
        "CHAT_FANOUT_FETCH_WAIT_MS", "5",
        "chat: the fan-out's `fetch.wait.max.ms`. A broker answers when a record arrives (100 deployed); the local Kafka mock waits it out.")

    public static let notificationConsumerGroup = ConfigKey(
        "CHAT_NOTIFICATION_CONSUMER_GROUP", "notification",
        "notification: Kafka consumer group reading chat.messages and chat.events (every instance joins the same one).")
    public static let notificationOffsetReset = ConfigKey(
        "CHAT_NOTIFICATION_OFFSET_RESET", "earliest", "notification: where a consumer group without committed offsets starts: earliest or latest.")
    public static let pushMaxAttempts = ConfigKey(
        "CHAT_PUSH_MAX_ATTEMPTS", "5",
        "notification: attempts per push (network errors, 5xx and 429 are retried); then it goes to notification.dead-letter.")
    public static let pushRetryBaseMilliseconds = ConfigKey(
        "CHAT_PUSH_RETRY_BASE_MS", "500", "notification: delay before the first retry of a push; doubles with each attempt, with jitter.")
    public static let pushTimeoutMilliseconds = ConfigKey(
        "CHAT_PUSH_TIMEOUT_MS", "5000", "notification: time a push target may take to answer.")
    public static let pushConcurrency = ConfigKey(
        "CHAT_PUSH_CONCURRENCY", "32", "notification: pushes in flight at once per instance.")
    public static let pushAllowPrivateTargets = ConfigKey(
        "CHAT_PUSH_ALLOW_PRIVATE_TARGETS", "false",
        "notification: accept push target URLs on loopback, link-local and private addresses (local use only).")

    /// Every variable of the product, in the order the README lists them.
    public static let all: [ConfigKey] = [
        httpHost, httpPort, logLevel, readyTimeoutMilliseconds,
        postgresURL, postgresPoolSize, postgresStatementTimeoutMilliseconds, migrateOnStart, mongoURI,
        kafkaBrokers, kafkaSecurityProtocol, kafkaSASLMechanism, kafkaSASLUsername, kafkaSASLPassword,
        redisNodes, redisUsername, redisPassword, redisTLS, redisTLSCAFile, otelEndpoint, otelSampleRatio,
        s3Endpoint, s3Region, s3Bucket, s3PathStyle, s3AccessKeyId, s3SecretAccessKey, s3SessionToken,
        upstreamAuth, upstreamUser, upstreamChat, upstreamNotification,
        internalSecret, stateDirectory, jwtSigningKey, jwtSigningKeyFile, jwtRetiredPublicKeys, accessTokenTTLSeconds,
        refreshTokenTTLDays, bcryptCost, loginFailureLimit, registerLimitPerAddress,
        rateLimitPerUser, rateLimitPerAddress, maxBodyBytes, upstreamTimeoutMilliseconds, corsOrigins, trustedProxyHops,
        adminHost, adminPort, webRoot, sendBudgetPerSecond, sendBudgetBurst, socketsPerUser, writerLingerMilliseconds, fanoutFetchWaitMilliseconds,
        notificationConsumerGroup, notificationOffsetReset, pushMaxAttempts, pushRetryBaseMilliseconds,
        pushTimeoutMilliseconds, pushConcurrency, pushAllowPrivateTargets,
    ]

    /// The README table of ``all``, in Markdown.
    public static var markdownTable: String {
        var lines = ["| Variable | Local default | Meaning |", "| --- | --- | --- |"]
        for key in all {
            let shownDefault = key.localDefault.isEmpty ? "(empty)" : "`\(key.localDefault)`"
            lines.append("| `\(key.name)` | \(shownDefault) | \(key.summary) |")
        }
        return lines.joined(separator: "\n")
    }
}
