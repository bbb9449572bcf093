import Kafka
import ServiceKit

extension Settings {
    /// The Kafka brokers and security properties of these settings, with `properties` on top.
    public func kafka(_ properties: [String: String] = [:]) -> KafkaConfiguration {
        KafkaConfiguration(brokers: kafkaBrokers, properties: kafkaSecurity.merging(properties) { $1 })
    }
}

extension ServiceAssembly {
    /// Adds and returns the service's Kafka producer (idempotent, `acks=all`); readiness check `kafka` asks the
    /// cluster for metadata. On graceful shutdown it flushes what is in flight after the components added after it
    /// stopped.
    public func addEventProducer() throws -> KafkaProducer {
        let producer = try KafkaProducer(configuration: .init(settings.kafka()), logger: logger("kafka"))
        add(producer, readiness: "kafka") { try await producer.checkConnection() }
        return producer
    }
}
