import ArgumentParser
import AsyncHTTPClient
import Foundation
import JWTKit
import NIOCore
import ServiceKit

/// What the gateway costs: access-token verifications per second on one core, and the latency it adds to a
/// request compared with calling the upstream service directly (with the identity the gateway would sign).
@main
struct GatewayBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway-benchmark", abstract: "JWT verifications per second, and the gateway's added latency.")

    @Option(help: "The gateway's base URL.") var gateway = "http://127.0.0.1:8080"
    @Option(help: "The user service's base URL, called directly.") var user = "http://127.0.0.1:8082"
    @Option(help: "Requests per path.") var requests = 2000
    @Option(help: "Token verifications for the per-core figure.") var verifications = 20_000
    @Option(help: "The internal secret the services verify identities with (default: CHAT_INTERNAL_SECRET).")
    var internalSecret = ProcessInfo.processInfo.environment["CHAT_INTERNAL_SECRET"] ?? ""

    func run() async throws {
        for url in [gateway, user] {
            guard let host = URL(string: url)?.host, ["127.0.0.1", "localhost", "::1"].contains(host) else {
                throw ValidationError("\(url) must be on loopback")
            }
        }
        try await measureVerification()
        try await measureOverhead()
    }

    /// EdDSA verification of an access token, one task, as the gateway does per request.
    private func measureVerification() async throws {
        let keys = JWTKeyCollection()
        await keys.add(eddsa: try EdDSA.PrivateKey(), kid: "bench")
        let token = try await keys.sign(
            AccessTokenClaims(
                userId: UUID().uuidString, username: "bench", tokenId: UUID().uuidString, familyId: nil, issuedAt: Date(),
                expiresAt: Date().addingTimeInterval(900)), kid: "bench")
        let started = ContinuousClock.now
        for _ in 0..<verifications { _ = try await keys.verify(token, as: AccessTokenClaims.self) }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        print(String(format: "JWT (EdDSA) verifications: %.0f/s on one core (%d in %.2f s)", Double(verifications) / seconds, verifications, seconds))
    }

    /// `GET /v1/users/me` through the gateway and straight to user, alternating, one at a time.
    private func measureOverhead() async throws {
        let signer = try IdentitySigner(secret: internalSecret)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var register = HTTPClientRequest(url: gateway + "/v1/auth/register")
        register.method = .POST
        register.headers.add(name: "Content-Type", value: "application/json")
        let username = "bench_\(UUID().uuidString.prefix(8).lowercased())"
        register.body = .bytes(ByteBuffer(string: #"{"username":"\#(username)","password":"benchmark-password"}"#))
        let response = try await http.execute(register, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .created, let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let token = json["accessToken"] as? String, let user = json["user"] as? [String: Any], let userId = user["id"] as? String
        else { throw ValidationError("register through the gateway failed: \(response.status) \(String(buffer: body))") }
        let identity = VerifiedIdentity(
            userId: userId, username: username, tokenId: UUID().uuidString, expiresAt: Int64(Date().timeIntervalSince1970) + 900,
            familyId: nil)

        var viaGateway: [Double] = []
        var direct: [Double] = []
        for index in 0..<(requests * 2) {
            let throughGateway = index % 2 == 0
            var request = HTTPClientRequest(url: (throughGateway ? gateway : self.user) + "/v1/users/me")
            if throughGateway {
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
            } else {
                request.headers.add(name: "X-Chat-Identity", value: signer.sign(identity, method: .get, path: "/v1/users/me"))
            }
            let started = ContinuousClock.now
            let answer = try await http.execute(request, timeout: .seconds(10))
            _ = try await answer.body.collect(upTo: 1 << 20)
            let milliseconds = (ContinuousClock.now - started) / .milliseconds(1)
            guard answer.status == .ok else { throw ValidationError("GET /v1/users/me answered \(answer.status)") }
            if throughGateway { viaGateway.append(milliseconds) } else { direct.append(milliseconds) }
        }
        try await http.shutdown()
        func percentile(_ values: [Double], _ p: Double) -> Double { values.sorted()[min(values.count - 1, Int(Double(values.count) * p))] }
        for (name, p) in [("p50", 0.5), ("p99", 0.99)] {
            let added = percentile(viaGateway, p) - percentile(direct, p)
            print(
                String(
                    format: "%@: through the gateway %.2f ms, direct %.2f ms, added %.2f ms", name, percentile(viaGateway, p), percentile(direct, p),
                    added))
        }
    }
}
