import Foundation
import ServiceDatabase
import ServiceKit
import Testing

@Suite struct SettingsTests {
    @Test func defaultsPointAtTheLocalStack() throws {
        let settings = try Settings(service: .chat, environment: [:])
        #expect(settings.httpPort == 8083)
        #expect(try DatabaseSettings(settings).url == "postgresql://chat:chat@127.0.0.1:55432/chat")
        #expect(settings.redisNodes == ["127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002"])
        #expect(settings.kafkaSecurity == ["security.protocol": "plaintext"])
        #expect(settings.s3PathStyle)
    }

    @Test func everyServiceHasItsOwnPortAndTheIdentityServicesShareADatabase() throws {
        let ports = try ServiceName.allCases.map { try Settings(service: $0, environment: [:]).httpPort }
        #expect(ports == [8080, 8081, 8082, 8083, 8084])
        // auth and user share `identity`; every other service has a database of its own.
        #expect(Set(ServiceName.allCases.map(\.databaseName)).count == 4)
        #expect(ServiceName.auth.databaseName == ServiceName.user.databaseName)
    }

    @Test func environmentOverridesDefaults() throws {
        let settings = try Settings(
            service: .auth,
            environment: [
                "CHAT_HTTP_PORT": "9000", "CHAT_LOG_LEVEL": "DEBUG", "CHAT_REDIS_NODES": " a:1 , b:2 ,",
                "CHAT_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "CHAT_KAFKA_SASL_USERNAME": "svc",
                "CHAT_S3_PATH_STYLE": "false", "CHAT_UPSTREAM_CHAT": "http://c1:8083,http://c2:8083",
            ])
        #expect(settings.httpPort == 9000)
        #expect(settings.logLevel == .debug)
        #expect(settings.redisNodes == ["a:1", "b:2"])
        #expect(settings.kafkaSecurity["sasl.mechanism"] == "SCRAM-SHA-512")
        #expect(settings.kafkaSecurity["sasl.username"] == "svc")
        #expect(!settings.s3PathStyle)
        #expect(settings.upstreams[.chat] == ["http://c1:8083", "http://c2:8083"])
    }

    @Test func tracingIsOffUnlessAnEndpointIsSet() throws {
        let off = try Settings(service: .chat, environment: [:])
        #expect(off.otelEndpoint == nil && off.otelSampleRatio == 1)
        let on = try Settings(service: .chat, environment: ["CHAT_OTEL_ENDPOINT": "http://127.0.0.1:4318", "CHAT_OTEL_SAMPLE_RATIO": "0.05"])
        #expect(on.otelEndpoint == "http://127.0.0.1:4318" && on.otelSampleRatio == 0.05)
    }

    @Test func anEmptyS3EndpointMeansAWS() throws {
        #expect(try Settings(service: .chat, environment: ["CHAT_S3_ENDPOINT": ""]).s3Endpoint == "")
        #expect(try Settings(service: .chat, environment: [:]).s3Endpoint == "http://127.0.0.1:5055")
    }

    @Test(arguments: [
        ("CHAT_HTTP_PORT", "80000"), ("CHAT_HTTP_PORT", "eighty"), ("CHAT_LOG_LEVEL", "loud"),
        ("CHAT_POSTGRES_POOL_SIZE", "0"), ("CHAT_POSTGRES_STATEMENT_TIMEOUT_MS", "-1"), ("CHAT_MIGRATE_ON_START", "often"),
        ("CHAT_S3_PATH_STYLE", "maybe"), ("CHAT_OTEL_SAMPLE_RATIO", "1.5"), ("CHAT_OTEL_SAMPLE_RATIO", "some"),
    ])
    func invalidValuesAreRejectedWithTheVariableName(name: String, value: String) {
        #expect {
            try DatabaseSettings(try Settings(service: .user, environment: [name: value]))
        } throws: { error in
            "\(error)".hasPrefix("\(name)=\(value):")
        }
    }

    /// The README's configuration table is the generated one, so operators see every variable.
    @Test func readmeListsEveryVariable() throws {
        let readme = try String(contentsOf: repositoryRoot.appending(path: "README.md"), encoding: .utf8)
        #expect(readme.contains(ConfigKey.markdownTable))
    }
}

/// The repository's top folder, found from this file's location.
let repositoryRoot = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
