import AsyncHTTPClient
import Kafka
import ServiceKit
import ServiceLifecycle

/// The notification service: offline notifications, push webhooks and unread counts.
@main
struct NotificationCommand: ServiceCommand {
    static let service = ServiceName.notification
    static let summary = "Consumes chat events and stores notifications and sends signed push webhooks."
    @OptionGroup var options: ServiceOptions

    func assemble(_ assembly: ServiceAssembly) async throws {
        let settings = try PushSettings(assembly.settings)
        let postgres = assembly.postgres
        let producer = try assembly.kafkaProducer()
        let presence = PresenceStore(redis: assembly.redis)
        let notifications = NotificationStore(postgres: postgres)
        let doorbell = Doorbell()

        // Webhooks get a client of their own that never follows redirects (a redirect could lead a push to an address
        // the URL check refused).
        let webhooks = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5))))
        assembly.addService(HTTPClientShutdown(client: webhooks))

        // The broker answers a fetch as soon as records arrive; the mock cluster of the local stack holds it for
        // fetch.wait.max.ms instead (500 ms by default), which bounds the latency this adds there.
        let consumer = try KafkaConsumer(
            configuration: .init(
                .init(brokers: assembly.settings.kafkaBrokers,
                      properties: assembly.settings.kafkaSecurity.merging(["fetch.wait.max.ms": "100"]) { $1 }),
                groupId: settings.consumerGroup, topics: [KafkaTopic.messages.name, KafkaTopic.events.name],
                autoOffsetReset: settings.offsetReset),
            logger: assembly.logger)
        assembly.addService(consumer)
        assembly.addService(EventHandler(
            consumer: consumer, notifications: notifications, presence: presence, producer: producer, doorbell: doorbell,
            logger: assembly.logger))
        assembly.addService(PushDispatcher(
            outbox: PushOutbox(postgres: postgres), client: webhooks, producer: producer, settings: settings,
            doorbell: doorbell, logger: assembly.logger))

        NotificationRoutes(
            notifications: notifications, targets: PushTargetStore(postgres: postgres), mutes: MuteStore(postgres: postgres),
            settings: settings, identitySigner: try IdentitySigner.configured(assembly.settings, logger: assembly.logger)
        ).add(to: assembly.router)
    }
}

/// Shuts the webhook HTTP client down after graceful shutdown.
private struct HTTPClientShutdown: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
