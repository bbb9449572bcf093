import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import RedisCluster
import Testing

@testable import ServiceKit

@Suite struct OperationalRoutesTests {
    struct Failure: Error, CustomStringConvertible { var description: String { "connection refused" } }

    func application(checks: [ReadinessCheck], routes: (Router<ServiceRequestContext>) -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router(context: ServiceRequestContext.self)
        router.middlewares.add(RequestIdMiddleware())
        routes(router)
        OperationalRoutes.add(to: router, checks: { checks }, readyTimeout: .milliseconds(200), registry: PrometheusCollectorRegistry())
        return Application(router: router)
    }

    @Test func redisThatDoesNotAnswerIs503AndAServerErrorStays500() async throws {
        let app = application(checks: []) { router in
            router.get("/slow") { _, _ -> String in throw RedisError(kind: .timeout, message: "127.0.0.1:7000 did not answer in time") }
            router.get("/broken") { _, _ -> String in throw RedisError(kind: .server, message: "ERR unknown command") }
        }
        try await app.test(.router) { client in
            try await client.execute(uri: "/slow", method: .get) { response in
                #expect(response.status == .serviceUnavailable && response.headers[.retryAfter] == "1")
                #expect(String(buffer: response.body).contains(#""code":"unavailable""#))
            }
            try await client.execute(uri: "/broken", method: .get) { response in
                #expect(response.status == .internalServerError && !String(buffer: response.body).contains("ERR"))
            }
        }
    }

    @Test func healthAnswersWithoutCheckingDependencies() async throws {
        let app = application(checks: [ReadinessCheck(name: "postgres") { throw Failure() }])
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
                #expect(response.headers[.requestId]?.isEmpty == false)
            }
        }
    }

    @Test func readyNamesTheFailingDependency() async throws {
        let app = application(checks: [
            ReadinessCheck(name: "postgres") { throw Failure() },
            ReadinessCheck(name: "redis") {},
        ])
        try await app.test(.router) { client in
            try await client.execute(uri: "/ready", method: .get, headers: [.requestId: "req-1"]) { response in
                #expect(response.status == .serviceUnavailable)
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as! [String: Any]
                let error = body["error"] as! [String: String]
                #expect(error["code"] == "unavailable")
                #expect(error["requestId"] == "req-1")
                #expect(error["message"]!.contains("postgres: connection refused"))
                #expect(!error["message"]!.contains("redis"))
                #expect((body["checks"] as! [String: String])["redis"] == "ok")
            }
        }
    }

    @Test func readyGivesUpOnAProbeThatHangs() async throws {
        let app = application(checks: [ReadinessCheck(name: "kafka") { try await Task.sleep(for: .seconds(30)) }])
        try await app.test(.router) { client in
            let started = ContinuousClock.now
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("kafka: no answer within"))
            }
            // Well before the probe's 30 s (the machine may be busy with other tests).
            #expect(ContinuousClock.now - started < .seconds(15))
        }
    }

    @Test func errorsUseTheContractShapeAndEchoTheRequestId() async throws {
        let app = application(checks: []) { router in
            router.get("/conflict") { _, _ -> Response in throw APIError.conflict("username taken") }
            router.get("/crash") { _, _ -> Response in throw Failure() }
        }
        try await app.test(.router) { client in
            try await client.execute(uri: "/conflict", method: .get, headers: [.requestId: "abc"]) { response in
                #expect(response.status == .conflict)
                #expect(response.headers[.requestId] == "abc")
                #expect(String(buffer: response.body) == #"{"error":{"code":"conflict","message":"username taken","requestId":"abc"}}"#)
            }
            try await client.execute(uri: "/crash", method: .get) { response in
                #expect(response.status == .internalServerError)
                let text = String(buffer: response.body)
                #expect(text.contains(#""code":"internal""#))
                #expect(!text.contains("connection refused"))
            }
            try await client.execute(uri: "/missing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains(#""code":"not_found""#))
            }
        }
    }

    @Test func unusableRequestIdsAreReplaced() {
        #expect(RequestIdMiddleware.acceptedId("abc-123") == "abc-123")
        #expect(RequestIdMiddleware.acceptedId("") == nil)
        #expect(RequestIdMiddleware.acceptedId("has space") == nil)
        #expect(RequestIdMiddleware.acceptedId(String(repeating: "x", count: 129)) == nil)
    }
}
