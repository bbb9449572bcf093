import AsyncHTTPClient
import Foundation
import HTTPTypes
import IdentityData
import NIOCore
import NIOHTTP1
import Postgres
import ServiceKit
import Testing

/// The real `auth` and `user` executables that a suite of identity tests calls, started once for the suite by
/// ``IdentityServices/Scope`` on ports 18181–18189 and stopped after it.
struct IdentityServices: Sendable {
    /// The services of the suite running on this task.
    @TaskLocal static var current: IdentityServices?

    let processes: [String: ServiceProcess]
    /// The identity signer the gateway would use (the stack's `CHAT_INTERNAL_SECRET`).
    static var signer: IdentitySigner { try! IdentitySigner(secret: TestStack["CHAT_INTERNAL_SECRET"]) }

    /// The running suite's services; fails when a test runs outside its suite's scope.
    static var running: IdentityServices {
        get throws { try #require(current, "the suite must carry IdentityServices.Scope") }
    }

    /// One of the processes, by name (a second process of an executable is `name@port`).
    func process(_ name: String) throws -> ServiceProcess {
        try #require(processes[name], "no \(name) process in this suite")
    }

    /// A client of one of the processes, by name (`auth`, `user`).
    func client(_ name: String) throws -> IdentityHTTP {
        IdentityHTTP(port: try #require(processes[name], "no \(name) process in this suite").port)
    }

    /// Starts each process, waits until it is ready, runs the suite, then stops them (SIGTERM).
    struct Scope: SuiteTrait, TestScoping {
        /// Name, port and extra environment of each process.
        let specifications: [(name: String, port: Int, environment: [String: String])]

        func provideScope(
            for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
        ) async throws {
            var processes: [String: ServiceProcess] = [:]
            for specification in specifications {
                // A second process of the same executable is known by name@port.
                let key = processes[specification.name] == nil ? specification.name : "\(specification.name)@\(specification.port)"
                processes[key] = try await IdentityServices.start(
                    specification.name, port: specification.port, environment: specification.environment)
            }
            let outcome = await capture {
                try await IdentityServices.$current.withValue(IdentityServices(processes: processes), operation: function)
            }
            for process in processes.values {
                let status = try await process.terminate()
                if !process.wasCrashed { #expect(status == 0, "\(process.name) exited with \(status); log:\n\(process.log)") }
            }
            try outcome.get()
        }
    }

    /// Starts `name` with the test bcrypt cost and no practical sign-up limit unless `environment` sets them, and waits
    /// for `/ready`. Fails when
    /// something already answers on `port` (a process left over from an aborted run).
    static func start(_ name: String, port: Int, environment: [String: String]) async throws -> ServiceProcess {
        let leftover = try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"), timeout: .seconds(2))
        #expect(leftover == nil, "port \(port) is already taken: stop the process listening there")
        // Tests register many users from one address: the sign-up limit stays out of their way unless a test sets it.
        let defaults = ["CHAT_BCRYPT_COST": "4", "CHAT_REGISTER_LIMIT_PER_ADDRESS": "1000000"]
        let process = try ServiceProcess(name, port: port, environment: defaults.merging(environment) { _, own in own })
        try await process.waitFor("/ready", status: 200)
        return process
    }

    /// The `identity` database, for checking what the services stored.
    static func withDatabase<T>(_ body: (PostgresClient) async throws -> T) async throws -> T {
        let client = PostgresClient(
            configuration: .init(url: TestStack.postgresURL(database: ServiceName.auth.databaseName), poolSize: 1),
            logger: TestStack.logger)
        let outcome = await capture { try await body(client) }
        try await client.shutdown()
        return try outcome.get()
    }
}

/// The outcome of `body`, caught, so that clean-up runs before a failure is rethrown.
func capture<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}

/// HTTP calls to one identity service, with JSON bodies and an optional `X-Chat-Identity`.
struct IdentityHTTP: Sendable {
    let port: Int

    /// A response: status, headers and body.
    struct Reply: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: String

        /// The body decoded as `T`.
        func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
            try JSONDecoder().decode(T.self, from: Data(body.utf8))
        }

        /// The contract error code (`error.code`), nil when the body is not an error.
        var errorCode: String? {
            (try? decode(ErrorBody.self))?.error.code
        }

        struct ErrorBody: Decodable {
            struct Detail: Decodable {
                let code: String
                let message: String
                let requestId: String
            }
            let error: Detail
        }
    }

    /// Sends `method path` with `body` (raw text) and, when given, the identity signed by `signer` or a raw
    /// `X-Chat-Identity` value; `headers` go on top.
    func send(
        _ method: HTTPMethod, _ path: String, body: String? = nil, identity: VerifiedIdentity? = nil,
        signer: IdentitySigner = IdentityServices.signer, headers: [(String, String)] = []
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        if let identity {
            let signedPath = String(path.split(separator: "?", maxSplits: 1).first ?? "")
            request.headers.add(
                name: "X-Chat-Identity",
                value: signer.sign(identity, method: try #require(HTTPRequest.Method(method.rawValue)), path: signedPath))
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 1 << 22)
        return Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: collected))
    }

    /// Sends `value` as JSON.
    func send(
        _ method: HTTPMethod, _ path: String, json value: some Encodable, identity: VerifiedIdentity? = nil,
        headers: [(String, String)] = []
    ) async throws -> Reply {
        try await send(
            method, path, body: String(decoding: try JSONEncoder().encode(value), as: UTF8.self),
            identity: identity, headers: headers)
    }
}

/// What register, login and refresh answer.
struct SessionBody: Decodable, Sendable {
    let user: UserRecord
    let accessToken: String
    let refreshToken: String
    let expiresIn: Int

    /// The identity the gateway would pass upstream for this session's access token (read from its claims
    /// without verifying them; tests verify tokens separately).
    var identity: VerifiedIdentity {
        get throws {
            let parts = accessToken.split(separator: ".")
            let payload = try #require(parts.count == 3 ? Base64URL.decode(String(parts[1])) : nil)
            let claims = try JSONDecoder().decode(Claims.self, from: Data(payload))
            return VerifiedIdentity(
                userId: claims.sub, username: claims.username, tokenId: claims.jti, expiresAt: Int64(claims.exp),
                familyId: claims.fid)
        }
    }

    private struct Claims: Decodable {
        let sub: String
        let username: String
        let jti: String
        let fid: String?
        let exp: Double
    }
}

extension IdentityHTTP {
    /// Registers a new user named `prefix` plus a random suffix (unique across parallel tests and runs), with
    /// password `password`; expects 201.
    func register(_ prefix: String, password: String = "correct horse battery", displayName: String? = nil) async throws -> SessionBody {
        let username = "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
        var body = ["username": username, "password": password]
        body["displayName"] = displayName
        let reply = try await send(.POST, "/v1/auth/register", json: body)
        try #require(reply.status == 201, "register answered \(reply.status): \(reply.body)")
        return try reply.decode()
    }
}
