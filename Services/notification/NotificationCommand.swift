import ServiceKit

/// The notification service: offline notifications, push webhooks and unread counts.
@main
struct NotificationCommand: ServiceCommand {
    static let service = ServiceName.notification
    static let summary = "Consumes chat events and stores notifications and sends signed push webhooks."
    @OptionGroup var options: ServiceOptions

    func assemble(_ assembly: ServiceAssembly) async throws {
        _ = assembly.postgres
        _ = try assembly.kafkaProducer()
        _ = assembly.redis
    }
}
