import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import ServiceKit
import Testing

/// The product's traces and metrics as an operator sees them: every service a real executable exporting spans to an
/// in-process OTLP receiver and serving `/metrics`, one message sent over a WebSocket through the gateway to a member
/// who is offline and has a push target.
@Suite(.serialized, ObservedStack.Scope(), .timeLimit(.minutes(5)))
struct ObservabilityTests {
    let gateway = IdentityHTTP(port: ObservedStack.gatewayPort)

    func bearer(_ session: SessionBody) -> [(String, String)] { [("Authorization", "Bearer \(session.accessToken)")] }

    @Test func oneWebSocketSendIsOneTraceFromTheGatewayToThePush() async throws {
        let stack = try #require(ObservedStack.current)
        let alice = try await gateway.register("tracer")
        let bob = try await gateway.register("traced")
        let target = try await gateway.send(
            .POST, "/v1/notifications/push-targets", json: ["url": stack.webhooks.url("bob"), "secret": "0123456789abcdef"],
            headers: bearer(bob))
        try #require(target.status == 201, "\(target.body)")
        let created = try await gateway.send(
            .POST, "/v1/conversations",
            json: ChatEndToEndTests.CreateGroup(
                type: "group", title: "Traced", memberIds: [bob.user.id]), headers: bearer(alice))
        try #require(created.status == 201, "\(created.body)")
        let conversationId = try #require(try JSONSerialization.jsonObject(with: Data(created.body.utf8)) as? [String: Any])["id"] as! String

        let socket = try await WebSocketTestClient(
            url: "ws://127.0.0.1:\(ObservedStack.gatewayPort)/v1/ws", headers: [.authorization: "Bearer \(alice.accessToken)"])
        _ = try await socket.next { $0["type"] as? String == "hello" }
        try await socket.send(json: [
            "type": "send", "ref": "t1", "conversationId": conversationId, "clientMessageId": "traced-1", "body": "where am I?",
        ])
        let ack = try await socket.next { $0["type"] as? String == "ack" }
        let seq = try #require((ack["message"] as? [String: Any])?["seq"] as? Int)
        try await eventually("bob's push") { !stack.webhooks.received("bob").isEmpty }

        // The message's span, then its whole trace: the gateway's upgrade, chat's upgrade and send, the writer's batch
        // and stages, the fan-out, and the push.
        let send = try #require(
            try await stack.receiver.waitFor("chat.send span") { spans in
                spans.contains { $0.service == "chat" && $0.name == "chat.send" }
            }.first { $0.service == "chat" && $0.name == "chat.send" })
        let expected: [(service: String, name: String)] = [
            ("api-gateway", "GET /v1/ws"), ("chat", "GET /v1/ws"), ("chat", "chat.send"), ("chat", "chat.write.batch"),
            ("chat", "chat.seq_allocation"), ("chat", "chat.documentdb_insert"), ("chat", "chat.kafka_ack"),
            ("chat", "chat.postgres_update"), ("chat", "chat.fanout.deliver"), ("notification", "notification.events"),
            ("notification", "notification.push"),
        ]
        let trace = try await stack.receiver.waitFor("the whole trace \(send.traceId)") { spans in
            let mine = spans.filter { $0.traceId == send.traceId }
            return expected.allSatisfy { wanted in mine.contains { $0.service == wanted.service && $0.name == wanted.name } }
        }.filter { $0.traceId == send.traceId }

        // Connected: one root, the gateway's, and every other span's parent is in the trace.
        let ids = Set(trace.map(\.spanId))
        let roots = trace.filter { $0.parentSpanId.isEmpty }
        #expect(roots.count == 1 && roots.first?.service == "api-gateway", "roots: \(roots)")
        for span in trace where !span.parentSpanId.isEmpty {
            #expect(ids.contains(span.parentSpanId), "\(span) has its parent outside the trace")
        }
        // Who continues what: the push and the fan-out continue the message's span, the stages the batch's.
        let byName = Dictionary(trace.map { ($0.name + "@" + $0.service, $0) }) { first, _ in first }
        #expect(byName["notification.push@notification"]?.parentSpanId == send.spanId)
        #expect(byName["notification.events@notification"]?.parentSpanId == send.spanId)
        #expect(byName["chat.fanout.deliver@chat"]?.parentSpanId == send.spanId)
        #expect(byName["chat.write.batch@chat"]?.parentSpanId == send.spanId)
        #expect(byName["chat.kafka_ack@chat"]?.parentSpanId == byName["chat.write.batch@chat"]?.spanId)
        #expect(byName["chat.send@chat"]?.parentSpanId == byName["GET /v1/ws@chat"]?.spanId)
        #expect(byName["GET /v1/ws@chat"]?.parentSpanId == byName["GET /v1/ws@api-gateway"]?.spanId)
        #expect(trace.allSatisfy { $0.statusCode != 2 }, "a span failed: \(trace.filter { $0.statusCode == 2 })")
        #expect(seq >= 1)

        // Log lines carry the trace id: the conversation's creation is logged by the gateway and by chat in one trace.
        let gatewayTraces = Self.traceIds(in: stack.processes["api-gateway"]!.log, path: "/v1/conversations")
        let chatTraces = Self.traceIds(in: stack.processes["chat"]!.log, path: "/v1/conversations")
        #expect(!gatewayTraces.isEmpty && !gatewayTraces.isDisjoint(with: chatTraces), "gateway \(gatewayTraces), chat \(chatTraces)")
        _ = try await socket.close()
    }

    @Test func everyMetricTheDashboardsAndAlarmsNameIsExported() async throws {
        let stack = try #require(ObservedStack.current)
        // Traffic first: a message written and fanned out, a push made (the test above, serialized before this one),
        // and a request refused by the gateway.
        _ = try await gateway.send(.GET, "/v1/users/me")
        var exported: [String: String] = [:]
        for (service, process) in stack.processes {
            let scrape = try await process.get("/metrics", admin: service == "api-gateway")
            try #require(scrape.status == 200, "\(service) /metrics answered \(scrape.status)")
            exported[service] = scrape.body
        }
        var missing: [String] = []
        for metric in try MetricCatalogue.load().metrics {
            for service in metric.services {
                let samples = MetricCatalogue.samples(try #require(exported[service], "no \(service) process in the suite"), metric.name)
                if samples.isEmpty { missing.append("\(service) does not export \(metric.name)") }
                for label in metric.labels where !samples.isEmpty && !samples.contains(where: { $0.contains("\(label)=\"") }) {
                    missing.append("\(service) exports \(metric.name) without the label \(label)")
                }
            }
        }
        // What the dashboards and alarms name, each exported by some service.
        let everything = exported.values.joined(separator: "\n")
        for name in try MetricCatalogue.namedByDashboardsAndAlarms() where !MetricCatalogue.exports(everything, name) {
            missing.append("a dashboard or alarm names \(name), which no service exports")
        }
        #expect(missing.isEmpty, "\(missing.joined(separator: "\n"))")
        // The traffic shows, the gateway's requests by the status the client got and their route without ids.
        #expect(MetricCatalogue.value(exported["api-gateway"]!, #"hb_requests_total{path="/v1/users/*",method="GET",status="401"}"#) ?? 0 >= 1)
        #expect(MetricCatalogue.value(exported["chat"]!, "chat_messages_written_total") ?? 0 >= 1)
        #expect(MetricCatalogue.value(exported["notification"]!, #"notification_pushes_total{outcome="delivered"}"#) ?? 0 >= 1)
        #expect(MetricCatalogue.value(exported["chat"]!, "chat_delivery_lag_seconds_count") ?? 0 >= 1)
    }

    @Test func atRatioZeroOnlyFailuresAreExported() async throws {
        let stack = try #require(ObservedStack.current)
        // A gateway that samples no new trace, whose auth upstream refuses every connection.
        let gateway = try await IdentityServices.start(
            "api-gateway", port: ObservedStack.unsampledGatewayPort,
            environment: [
                "CHAT_OTEL_ENDPOINT": stack.receiver.endpoint, "CHAT_OTEL_SAMPLE_RATIO": "0",
                "CHAT_UPSTREAM_AUTH": "http://127.0.0.1:1",
            ])
        let client = IdentityHTTP(port: ObservedStack.unsampledGatewayPort)
        // A failure, a success, a failure: spans leave in the order they ended, so once the second failure's span is
        // here, the success's would be too had it been exported.
        #expect(try await client.send(.GET, "/v1/auth/jwks").status == 503)
        #expect(try await client.send(.GET, "/health").status == 200)
        #expect(try await client.send(.GET, "/v1/auth/jwks").status == 503)
        let received = try await stack.receiver.waitFor("the failed requests' spans") { spans in
            spans.filter { $0.service == "api-gateway" && $0.name == "GET /v1/auth/jwks" && $0.statusCode == 2 }.count == 2
        }
        #expect(!received.contains { $0.name == "GET /health" })
        #expect(try await gateway.terminate() == 0)
    }

    /// The trace ids of the `request` log lines of `path` in a JSON log.
    static func traceIds(in log: String, path: String) -> Set<String> {
        Set(
            log.split(separator: "\n").compactMap { line -> String? in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    object["path"] as? String == path
                else { return nil }
                return object["trace_id"] as? String
            })
    }
}

/// The processes of ``ObservabilityTests`` on ports 21000–21004 (the gateway's admin listener on 22000), each
/// exporting traces to an ``OTLPReceiver`` on 21090 with every new trace sampled.
struct ObservedStack: Sendable {
    static let gatewayPort = 21000
    /// A gateway of its own for the sampling test.
    static let unsampledGatewayPort = 21010
    static let ports = (auth: 21001, user: 21002, chat: 21003, notification: 21004)
    @TaskLocal static var current: ObservedStack?

    let receiver: OTLPReceiver
    let webhooks: WebhookReceiver
    let processes: [String: ServiceProcess]

    /// Starts the receivers and the processes, runs the suite, stops them.
    struct Scope: SuiteTrait, TestScoping {
        func provideScope(
            for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
        ) async throws {
            let receiver = OTLPReceiver(port: 21090)
            try await receiver.start()
            let webhooks = WebhookReceiver()
            try await webhooks.start()
            let tracing = ["CHAT_OTEL_ENDPOINT": receiver.endpoint, "CHAT_OTEL_SAMPLE_RATIO": "1"]
            let url = { (port: Int) in "http://127.0.0.1:\(port)" }
            var processes: [String: ServiceProcess] = [:]
            let outcome = await capture {
                processes["auth"] = try await IdentityServices.start(
                    "auth", port: ports.auth,
                    environment: tracing.merging([
                        "CHAT_STATE_DIR": FileManager.default.temporaryDirectory.appending(path: TestStack.unique("obs-state")).path
                    ]) { $1 })
                processes["user"] = try await IdentityServices.start(
                    "user", port: ports.user, environment: tracing.merging(["CHAT_UPSTREAM_CHAT": url(ports.chat)]) { $1 })
                processes["chat"] = try await IdentityServices.start(
                    "chat", port: ports.chat,
                    environment: tracing.merging([
                        "CHAT_UPSTREAM_AUTH": url(ports.auth), "CHAT_UPSTREAM_USER": url(ports.user),
                    ]) { $1 })
                processes["notification"] = try await NotificationInstance.start(port: ports.notification, environment: tracing).process
                processes["api-gateway"] = try await IdentityServices.start(
                    "api-gateway", port: gatewayPort,
                    environment: tracing.merging([
                        "CHAT_UPSTREAM_AUTH": url(ports.auth), "CHAT_UPSTREAM_USER": url(ports.user),
                        "CHAT_UPSTREAM_CHAT": url(ports.chat), "CHAT_UPSTREAM_NOTIFICATION": url(ports.notification),
                    ]) { $1 })
                try await ObservedStack.$current.withValue(
                    ObservedStack(receiver: receiver, webhooks: webhooks, processes: processes), operation: function)
            }
            for process in processes.values {
                let status = try await process.terminate()
                #expect(status == 0, "\(process.name) exited with \(status); log:\n\(process.log)")
            }
            receiver.stop()
            webhooks.stop()
            try outcome.get()
        }
    }
}
