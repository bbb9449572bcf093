import Foundation
import Hummingbird
import Kafka
import Postgres
import ServiceKit

/// The chat service: conversations, messages, attachments and the WebSocket protocol.
@main
struct ChatCommand: ServiceCommand {
    static let service = ServiceName.chat
    static let summary = "Serves conversations, messages, attachments and WebSocket sessions, fanning out through Kafka."
    @OptionGroup var options: ServiceOptions

    func assemble(_ assembly: ServiceAssembly) async throws {
        let settings = assembly.settings
        let producer = try assembly.kafkaProducer()
        let store = MessageStore(client: try assembly.documentStore())
        // Without the unique indexes neither seq uniqueness nor idempotent sends would hold: not ready until they exist.
        assembly.addStartupStep("message-indexes") { try await store.createIndexes() }
        let conversations = ConversationStore(postgres: assembly.postgres)
        let writer = MessageWriter(
            store: store, sequences: SequenceAllocator(redis: assembly.redis), conversations: conversations,
            producer: producer, logger: assembly.logger)
        assembly.addService(writer)
        let attachments = AttachmentStore(postgres: assembly.postgres, s3: assembly.s3)
        let identityDatabase = PostgresClient(
            configuration: .init(
                url: settings.reader.string(.identityPostgresURL), poolSize: 4,
                statementTimeoutMilliseconds: 5000),
            logger: assembly.logger)
        assembly.addService(identityDatabase)
        assembly.addReadinessCheck("identity-postgres") { try await identityDatabase.query("SELECT 1") }
        let messaging = Messaging(
            conversations: conversations, messages: store, attachments: attachments,
            directory: IdentityDirectory(postgres: identityDatabase), writer: writer, producer: producer, logger: assembly.logger)
        let registry = ConnectionRegistry()
        let presence = PresenceTracker(
            store: PresenceStore(redis: assembly.redis), registry: registry, postgres: assembly.postgres, messaging: messaging,
            logger: assembly.logger)
        assembly.addService(presence)
        // Every instance reads every record for its own connections: a group of its own, from the newest record.
        let instance = UUID().uuidString.lowercased()
        let consumer = try KafkaConsumer(
            configuration: .init(
                // Deliver as soon as records arrive: the broker answers a fetch at once instead of waiting to fill it.
                .init(brokers: settings.kafkaBrokers, properties: settings.kafkaSecurity.merging(["fetch.wait.max.ms": "5"]) { $1 }),
                groupId: "chat-fanout-\(instance)",
                topics: [KafkaTopic.messages.name, KafkaTopic.events.name], autoOffsetReset: "latest"),
            logger: assembly.logger)
        assembly.addService(FanoutConsumer(consumer: consumer, registry: registry, logger: assembly.logger))
        // Ready only once the fan-out reads its partitions: a message sent before that would reach nobody live.
        assembly.addReadinessCheck("fanout") {
            guard !consumer.assignedPartitions().isEmpty else { throw APIError.unavailable("the fan-out consumer has no partitions yet") }
        }

        let signer = try IdentitySigner.configured(settings, logger: assembly.logger)
        let routes = assembly.router.group().add(middleware: IdentityMiddleware(signer: signer))
        ConversationRoutes(messaging: messaging).register(on: routes)
        MessageRoutes(messaging: messaging).register(on: routes)
        AttachmentRoutes(attachments: attachments, messaging: messaging).register(on: routes)
        assembly.httpServer = ChatWebSocket.serverBuilder(
            signer: signer, messaging: messaging, registry: registry, presence: presence, logger: assembly.logger)
    }
}
