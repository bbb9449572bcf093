import ChatEvents
import DocumentStore
import Foundation
import Hummingbird
import Kafka
import S3
import ServiceDatabase
import ServiceKit
import WebSocketUpgrade

/// The chat service: conversations, messages, attachments and the WebSocket protocol.
@main
struct ChatCommand: DatabaseServiceCommand {
    static let service = ServiceName.chat
    static let summary = "Serves conversations, messages, attachments and WebSocket sessions, fanning out through Kafka."
    @OptionGroup var options: ServiceOptions

    /// Start order: the clients (HTTP, PostgreSQL, Redis, DocumentDB, Kafka), the last-message recorder, the writer, the token keys, presence,
    /// the fan-out consumer and its delivery, the session sweeper, then the HTTP server; on SIGTERM they stop in the
    /// reverse order.
    func assemble(_ assembly: ServiceAssembly) async throws {
        let settings = assembly.settings
        ChatMetrics.register()
        let http = assembly.addHTTPClient()
        let postgres = try assembly.addDatabase(migrations: Self.migrations)
        let redis = assembly.addRedis()
        let documents = try DocumentStoreClient(uri: settings.mongoURI, logger: assembly.logger("documentdb"))
        assembly.add(documents, readiness: "documentdb") { try await documents.ping() }
        let producer = try assembly.addEventProducer()
        let s3 = S3Client(configuration: .init(settings), httpClient: http)
        assembly.addReadinessCheck("s3") { try await s3.checkBucket() }

        let store = MessageStore(client: documents)
        // Without the unique indexes neither seq uniqueness nor idempotent sends would hold: not ready until they exist.
        assembly.addStartupStep("message-indexes") { try await store.createIndexes() }
        let conversations = ConversationStore(postgres: postgres)
        let recorder = StoredMessageRecorder(conversations: conversations, logger: assembly.logger)
        assembly.add(recorder)
        let registry = ConnectionRegistry()
        let localFanout = LocalFanout(registry: registry)
        let writer = MessageWriter(
            store: store, sequences: SequenceAllocator(redis: redis), recorder: recorder, producer: producer, fanout: localFanout,
            linger: .milliseconds(try settings.reader.integer(.writerLingerMilliseconds, range: 0...1_000)), logger: assembly.logger)
        assembly.add(writer)
        let signer = try IdentitySigner.configured(settings, logger: assembly.logger)
        let users = InternalServiceClient(
            caller: .chat, pool: UpstreamPool(service: .user, instances: settings.upstreams[.user] ?? []), http: http,
            credential: ServiceCredential(signer: signer))
        let messaging = Messaging(
            conversations: conversations, messages: store, attachments: AttachmentStore(postgres: postgres, s3: s3),
            directory: IdentityDirectory(users: users), writer: writer, producer: producer, logger: assembly.logger)
        let denylist = TokenDenylist(redis: redis)
        let verifier = AccessTokenVerifier(
            authInstances: UpstreamPool(service: .auth, instances: settings.upstreams[.auth] ?? []).candidates, client: http, denylist: denylist,
            logger: assembly.logger("tokens"))
        assembly.add(verifier)
        let presence = PresenceTracker(store: PresenceStore(redis: redis), registry: registry, messaging: messaging, logger: assembly.logger)
        assembly.add(presence)
        // Every instance reads every record for its own connections: a group of its own, from the newest record. Its
        // positions are committed, so a rebalance (a broker outage outlasting the session timeout) resumes where it was
        // instead of at the newest record.
        let fetchWait = try settings.reader.integer(.fanoutFetchWaitMilliseconds, range: 1...10_000)
        let consumer = try KafkaConsumer(
            configuration: .init(
                // The records it delivers are other instances' (its own writer delivers its messages) and signals. A
                // broker answers a fetch as soon as a record arrives, so the wait only spaces idle fetches; the local
                // mock holds every fetch for the whole wait, and with 50 ms the test suite's other consumers slowed
                // until a restarted notification instance no longer caught up in time: 5 ms locally.
                settings.kafka(["fetch.wait.max.ms": String(fetchWait)]), groupId: "chat-fanout-\(UUID().uuidString.lowercased())",
                topics: [KafkaTopic.messages.name, KafkaTopic.events.name, KafkaTopic.identity.name], autoOffsetReset: "latest",
                commits: .everyRecordPolled),
            logger: assembly.logger("kafka-consumer"))
        // Ready, and admitting WebSockets, only once the fan-out knows where it reads each partition: a message
        // published before that would reach no socket of this instance live.
        let fanout = FanoutPosition(consumer: consumer)
        assembly.add(consumer, readiness: "fanout") {
            guard fanout.isPositioned() else { throw APIError.unavailable("the fan-out consumer is not reading its partitions yet") }
        }
        assembly.add(FanoutConsumer(consumer: consumer, fanout: localFanout, logger: assembly.logger))

        let routes = assembly.router.group().add(middleware: IdentityMiddleware(signer: signer))
        ConversationRoutes(messaging: messaging).register(on: routes)
        MessageRoutes(messaging: messaging).register(on: routes)
        AttachmentRoutes(attachments: messaging.attachments, messaging: messaging).register(on: routes)
        InternalAttachmentRoutes(attachments: messaging.attachments)
            .add(to: assembly.router, credential: ServiceCredential(signer: signer))
        assembly.add(SessionSweeper(registry: registry))
        let context = SessionContext(
            messaging: messaging, budget: try SendBudget(settings, limiter: RateLimiter(redis: redis, prefix: "ratelimit:chat-send")),
            verifier: verifier, logger: assembly.logger)
        assembly.httpServer = .http1(
            upgradingWebSocketsWith: RealtimeServer(
                signer: signer, context: context, registry: registry, presence: presence, denylist: denylist, fanout: fanout,
                socketsPerUser: try settings.reader.integer(.socketsPerUser, range: 1...10_000)))
    }
}

extension S3Configuration {
    /// The attachments bucket of `settings`.
    init(_ settings: Settings) {
        self.init(
            endpoint: settings.s3Endpoint.isEmpty ? nil : settings.s3Endpoint, region: settings.s3Region, bucket: settings.s3Bucket,
            pathStyle: settings.s3PathStyle,
            credentials: .init(
                accessKeyId: settings.s3AccessKeyId, secretAccessKey: settings.s3SecretAccessKey, sessionToken: settings.s3SessionToken))
    }
}
