// swift-tools-version:6.1
import PackageDescription

/// The chat backend: five services sharing the modules under `Shared/`.
///
/// Each C library has one `.systemLibrary` target, imported by exactly one Shared module:
/// `CLibPQ` → `Postgres`, `CMongoC` → `DocumentStore`, `CRdKafka` → `Kafka`, `CHiredis` → `RedisCluster`.
let package = Package(
    name: "chat-backend",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "api-gateway", targets: ["APIGateway"]),
        .executable(name: "auth", targets: ["AuthService"]),
        .executable(name: "user", targets: ["UserService"]),
        .executable(name: "chat", targets: ["ChatService"]),
        .executable(name: "notification", targets: ["NotificationService"]),
        .executable(name: "chatctl", targets: ["ChatCtl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // OTLP/HTTP only: the gRPC exporter's dependencies stay out of the build.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // MARK: C libraries (pkg-config)
        .systemLibrary(
            name: "CLibPQ", path: "Shared/CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),
        .systemLibrary(
            name: "CMongoC", path: "Shared/CMongoC", pkgConfig: "libmongoc-1.0",
            providers: [.apt(["libmongoc-dev", "libbson-dev"])]),
        .systemLibrary(
            name: "CRdKafka", path: "Shared/CRdKafka", pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(
            name: "CHiredis", path: "Shared/CHiredis", pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]),

        // MARK: Shared modules
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ], path: "Shared/Postgres"),
        .target(
            name: "DocumentStore",
            dependencies: [
                "CMongoC",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ], path: "Shared/DocumentStore"),
        .target(
            name: "Kafka",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ], path: "Shared/Kafka"),
        .target(
            name: "RedisCluster",
            dependencies: [
                "CHiredis",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ], path: "Shared/RedisCluster"),
        .target(
            name: "S3",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ], path: "Shared/S3"),
        // What every service needs: configuration, JSON logging, metrics, health and readiness, graceful shutdown,
        // HTTP conventions, the identity the gateway passes, and the Redis Cluster every service uses.
        .target(
            name: "ServiceKit",
            dependencies: [
                "RedisCluster",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ], path: "Shared/ServiceKit"),
        // A service's own PostgreSQL database: its pool from the settings, migrations at start, `<service> migrate`.
        .target(
            name: "ServiceDatabase",
            dependencies: [
                "ServiceKit", "Postgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ], path: "Shared/ServiceDatabase"),
        // The product's events on Kafka: their schemas, topics and the producer every publisher uses.
        .target(
            name: "ChatEvents",
            dependencies: [
                "ServiceKit", "Kafka",
                .product(name: "Logging", package: "swift-log"),
            ], path: "Shared/ChatEvents"),
        // The identity database auth and user share: its schema and the contract's user object.
        .target(
            name: "IdentityData",
            dependencies: [
                "ServiceKit", "Postgres",
                .product(name: "Hummingbird", package: "hummingbird"),
            ], path: "Shared/IdentityData"),
        .target(
            name: "WebSocketUpgrade",
            dependencies: [
                "ServiceKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ], path: "Shared/WebSocketUpgrade"),

        // MARK: Services
        .executableTarget(
            name: "APIGateway",
            dependencies: [
                "ServiceKit", "WebSocketUpgrade", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ], path: "Services/api-gateway", exclude: ["Public"]),
        .executableTarget(
            name: "AuthService",
            dependencies: [
                "ServiceKit", "ServiceDatabase", "IdentityData", "ChatEvents", "Kafka", "Postgres", "RedisCluster",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ], path: "Services/auth"),
        .executableTarget(
            name: "UserService",
            dependencies: [
                "ServiceKit", "ServiceDatabase", "IdentityData", "Postgres",
                .product(name: "Hummingbird", package: "hummingbird"),
            ], path: "Services/user"),
        .executableTarget(
            name: "ChatService",
            dependencies: [
                "ChatEvents", "DocumentStore", "Kafka", "Postgres", "RedisCluster", "S3", "ServiceDatabase", "ServiceKit",
                "WebSocketUpgrade",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ], path: "Services/chat"),
        .executableTarget(
            name: "NotificationService",
            dependencies: [
                "ChatEvents", "Kafka", "Postgres", "ServiceDatabase", "ServiceKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ], path: "Services/notification"),

        // The command-line client and post-deploy smoke test; a client of the public API only.
        .executableTarget(
            name: "ChatCtl",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ], path: "Services/chatctl"),

        // MARK: Benchmark programs (print figures; never run as tests)
        .executableTarget(
            name: "StoreBenchmark",
            dependencies: [
                "Postgres", "DocumentStore", "Kafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "Tests/Benchmarks/StoreBenchmark"),
        .executableTarget(
            name: "RedisClusterBenchmark",
            dependencies: [
                "RedisCluster", "ServiceKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "Tests/Benchmarks/RedisClusterBenchmark"),

        .executableTarget(
            name: "GatewayBenchmark",
            dependencies: [
                "ServiceKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
            ], path: "Tests/Benchmarks/GatewayBenchmark"),
        .executableTarget(
            name: "NotificationBenchmark",
            dependencies: [
                "ServiceKit", "ChatEvents", "Kafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ], path: "Tests/Benchmarks/NotificationBenchmark"),
        .executableTarget(
            name: "ChatLoad",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ], path: "Tests/Benchmarks/ChatLoad"),
        // The fault suite (scripts/faults.sh): the product under load while its backing servers fail.
        .executableTarget(
            name: "FaultSuite",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ], path: "Tests/FaultSuite"),

        // MARK: Tests
        .testTarget(
            name: "SharedTests",
            dependencies: [
                "ServiceKit", "ServiceDatabase", "ChatEvents", "DocumentStore", "S3", "RedisCluster", "Kafka",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ], path: "Tests/SharedTests"),
        // Unit tests of each executable's own logic, without servers.
        .testTarget(
            name: "ChatServiceTests",
            dependencies: [
                "ChatService", "Kafka", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ], path: "Tests/ChatServiceTests"),
        .testTarget(name: "AuthUnitTests", dependencies: ["AuthService"], path: "Tests/AuthUnitTests"),
        .testTarget(
            name: "GatewayUnitTests",
            dependencies: [
                "APIGateway", "ServiceKit", .product(name: "NIOCore", package: "swift-nio"),
            ], path: "Tests/GatewayUnitTests"),
        .testTarget(name: "NotificationUnitTests", dependencies: ["NotificationService", "Kafka"], path: "Tests/NotificationUnitTests"),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "ChatService", "ServiceKit", "ChatEvents", "IdentityData", "Postgres", "DocumentStore", "Kafka", "RedisCluster", "S3",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ], path: "Tests/IntegrationTests"),
    ]
)
