import Foundation
import Logging
import RedisCluster
import Testing

@testable import ServiceKit

/// Reading the Redis TLS settings and the CA file, without servers (the handshake itself: RedisClusterTLSTests).
@Suite struct RedisTLSConfigurationTests {
    /// A self-signed CA certificate whose key was thrown away: good for parsing, useless for signing.
    static let caPEM = """
        -----BEGIN CERTIFICATE-----
        MIIBrzCCAVWgAwIBAgIUaVBLhe/teWGqAzVwuEwGmNHQx8swCgYIKoZIzj0EAwIw
        LDEqMCgGA1UEAwwhY2hhdCB1bml0LXRlc3QgQ0EgKGtleSBkaXNjYXJkZWQpMCAX
        DTI2MTIwNjEyNTk0OFoYDzIxMjYxMTEyMTI1OTQ4WjAsMSowKAYDVQQDDCFjaGF0
        IHVuaXQtdGVzdCBDQSAoa2V5IGRpc2NhcmRlZCkwWTATBgcqhkjOPQIBBggqhkjO
        PQMBBwNCAARhuPSTRBRIEaukG0QKRVhoESeBFpdTxkzQYMQva/TFwTSdl3Qj6x9A
        ktQVx0XyHIuC2SnMhUhvlPRPJ0uG5RGZo1MwUTAdBgNVHQ4EFgQU1sbK2exYkH2E
        alTG/WQhxjIKUj8wHwYDVR0jBBgwFoAU1sbK2exYkH2EalTG/WQhxjIKUj8wDwYD
        VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEAo/SiwH5VhCBucDzys4v5
        XZjjxhlJRWOaSMzmIs+yudMCIFgc2bNLMwVS5/BrzYr2VdIenjpkSHQhIRIcbGKP
        qFWD
        -----END CERTIFICATE-----

        """

    /// A file holding `text` in the temporary directory (the caller removes it).
    func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appending(path: "redis-tls-\(UUID().uuidString).pem").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    @Test func aPEMFileOfCertificatesIsTrusted() throws {
        let path = try file(Self.caPEM + Self.caPEM)
        defer { remove(path) }
        #expect(try RedisClusterConfiguration.TLS(caFile: path).caFile == path)
    }

    @Test func anUnreadableOrEmptyCAFileIsATLSError() throws {
        let missing = "/nonexistent/\(UUID().uuidString)/ca.pem"
        #expect { try RedisClusterConfiguration.TLS(caFile: missing) } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.kind == .tls && error.message.contains("cannot read the CA file \(missing)")
        }
        for text in ["", "not a certificate\n", Self.caPEM.replacingOccurrences(of: "MIIB", with: "AAAA")] {
            let path = try file(text)
            defer { remove(path) }
            #expect { try RedisClusterConfiguration.TLS(caFile: path) } throws: { error in
                guard let error = error as? RedisError else { return false }
                return error.kind == .tls && error.message.contains("\(path) holds no valid PEM certificate")
            }
        }
    }

    @Test func settingsReadTheTLSSwitchAndTheCAFile() throws {
        let plain = try Settings(service: .chat, environment: [:])
        #expect(!plain.redisTLS)
        #expect(plain.redisTLSCAFile == nil)
        let tls = try Settings(service: .chat, environment: ["CHAT_REDIS_TLS": "true", "CHAT_REDIS_TLS_CA_FILE": "/run/chat/redis-ca/ca.pem"])
        #expect(tls.redisTLS)
        #expect(tls.redisTLSCAFile == "/run/chat/redis-ca/ca.pem")
        #expect(throws: ConfigurationError.self) { try Settings(service: .chat, environment: ["CHAT_REDIS_TLS": "sometimes"]) }
        // `<service> migrate` reads the same settings and needs no Redis: a CA file that is not there is no error yet.
        #expect(try Settings(service: .chat, environment: ["CHAT_REDIS_TLS": "true", "CHAT_REDIS_TLS_CA_FILE": "/nonexistent.pem"]).redisTLS)
    }

    @Test func theRedisClientGetsTLSAndABadCAFileStopsTheStart() throws {
        let path = try file(Self.caPEM)
        defer { remove(path) }
        let good = try ServiceAssembly(
            settings: try Settings(service: .chat, environment: ["CHAT_REDIS_TLS": "true", "CHAT_REDIS_TLS_CA_FILE": path]),
            logger: Logger(label: "test"))
        let client = good.addRedis()
        #expect(client.configuration.tls?.caFile == path)
        #expect(client.configuration.seeds.count == 3)

        let plain = try ServiceAssembly(settings: try Settings(service: .chat, environment: [:]), logger: Logger(label: "test"))
        #expect(plain.addRedis().configuration.tls == nil)

        // Before anything is assembled: no component exists yet that would have to be shut down.
        let settings = try Settings(service: .chat, environment: ["CHAT_REDIS_TLS": "true", "CHAT_REDIS_TLS_CA_FILE": "/nonexistent.pem"])
        #expect { try ServiceAssembly(settings: settings, logger: Logger(label: "test")) } throws: { error in
            "\(error)".hasPrefix("CHAT_REDIS_TLS_CA_FILE=/nonexistent.pem: expected a readable PEM file of CA certificates")
                && "\(error)".contains("No such file or directory")
        }
    }
}
