import AsyncHTTPClient
import ChatEvents
import Kafka
import ServiceDatabase
import ServiceKit

/// The notification service: offline notifications, push webhooks and unread counts.
@main
struct NotificationCommand: DatabaseServiceCommand {
    static let service = ServiceName.notification
    static let summary = "Consumes chat events and stores notifications and sends signed push webhooks."
    @OptionGroup var options: ServiceOptions

    /// Start order: the database, Redis, the producer, the webhook client, the consumer, the event handler and the
    /// push workers, then the HTTP server; they stop in the reverse order.
    func assemble(_ assembly: ServiceAssembly) async throws {
        let settings = try PushSettings(assembly.settings)
        NotificationMetrics.register()
        let postgres = try assembly.addDatabase(migrations: Self.migrations)
        let presence = PresenceStore(redis: assembly.addRedis())
        let producer = try assembly.addEventProducer()
        let notifications = NotificationStore(postgres: postgres)
        let doorbell = Doorbell()

        // Webhooks get clients of their own that connect only to addresses checked at each push and never follow
        // redirects (a redirect could lead a push to an address the check refused).
        let webhooks = WebhookClients(allowPrivateTargets: settings.allowPrivateTargets)
        assembly.add(webhooks)

        // The broker answers a fetch as soon as records arrive; the mock cluster of the local stack holds it for
        // fetch.wait.max.ms instead (500 ms by default), which bounds the latency this adds there.
        let consumer = try KafkaConsumer(
            configuration: .init(
                assembly.settings.kafka(["fetch.wait.max.ms": "100"]),
                groupId: settings.consumerGroup, topics: [KafkaTopic.messages.name, KafkaTopic.events.name],
                autoOffsetReset: settings.offsetReset),
            logger: assembly.logger("kafka-consumer"))
        assembly.add(consumer)
        assembly.add(
            EventHandler(
                consumer: consumer, notifications: notifications, presence: presence, producer: producer, doorbell: doorbell,
                logger: assembly.logger))
        assembly.add(
            PushDispatcher(
                outbox: PushOutbox(postgres: postgres), clients: webhooks, producer: producer, settings: settings,
                doorbell: doorbell, logger: assembly.logger))

        NotificationRoutes(
            notifications: notifications, targets: PushTargetStore(postgres: postgres), mutes: MuteStore(postgres: postgres),
            settings: settings, identitySigner: try IdentitySigner.configured(assembly.settings, logger: assembly.logger)
        ).add(to: assembly.router)
    }
}
