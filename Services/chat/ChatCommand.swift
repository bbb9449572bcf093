import ServiceKit

/// The chat service: conversations, messages, attachments and the WebSocket protocol.
@main
struct ChatCommand: ServiceCommand {
    static let service = ServiceName.chat
    static let summary = "Serves conversations, messages, attachments and WebSocket sessions, fanning out through Kafka."
    @OptionGroup var options: ServiceOptions

    func assemble(_ assembly: ServiceAssembly) async throws {
        _ = assembly.postgres
        _ = try assembly.documentStore()
        _ = try assembly.kafkaProducer()
        _ = assembly.redis
        _ = assembly.s3
    }
}
