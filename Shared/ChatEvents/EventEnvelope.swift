import Foundation
import Kafka
import ServiceKit

/// What every event on the bus looks like: JSON `{"type", "version", "id", "occurredAt", "payload"}`.
///
/// `id` is unique per event, so consumers can drop the duplicates that at-least-once delivery brings; `occurredAt` is
/// when the change happened (ISO 8601 with milliseconds, UTC).
public struct EventEnvelope<Payload: ChatEventPayload>: Codable, Sendable, Equatable {
    public let type: String
    public let version: Int
    public let id: UUID
    public let occurredAt: Date
    public let payload: Payload

    /// A new event with a fresh id.
    public init(_ payload: Payload, id: UUID = .random(), occurredAt: Date = Date()) {
        self.type = Payload.eventType
        self.version = Payload.version
        self.id = id
        self.occurredAt = occurredAt
        self.payload = payload
    }

    /// The record value.
    public func encoded() throws -> [UInt8] { Array(try EventCoding.encoder().encode(self)) }

    /// Decodes a record value written by ``encoded()``.
    public init(decoding value: [UInt8]) throws {
        self = try EventCoding.decoder().decode(Self.self, from: Data(value))
    }
}

/// The JSON settings of event records: sorted keys, dates in ISO 8601 with milliseconds.
enum EventCoding {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timestamp(date))
        }
        return encoder
    }

    /// `2024-05-01T12:30:00.123Z`: UTC, rounded to the millisecond.
    static func timestamp(_ date: Date) -> String { RFC3339.string(from: date) }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = RFC3339.date(from: text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(text) is not an ISO 8601 date")
            }
            return date
        }
        return decoder
    }
}

/// The header naming a record's event type, so that consumers can route a record without decoding it.
public let eventTypeHeader = "event-type"

extension EventEnvelope {
    /// The record of this event: on its payload's topic, keyed by ``ChatEventPayload/recordKey``, with an
    /// ``eventTypeHeader`` and the current span's `traceparent` (when tracing is on), so that consumers continue the
    /// trace.
    public func record() throws -> KafkaOutgoingRecord {
        var headers = [(name: eventTypeHeader, value: Array(Payload.eventType.utf8))]
        Telemetry.injectCurrent(into: &headers)
        return KafkaOutgoingRecord(
            topic: Payload.topic.name, key: Array(payload.recordKey.uuidString.lowercased().utf8),
            value: try encoded(), headers: headers)
    }
}

extension KafkaRecord {
    /// The value of the ``eventTypeHeader``; nil for a record written without it.
    public var eventType: String? {
        headers.first { $0.name == eventTypeHeader }.map { String(decoding: $0.value, as: UTF8.self) }
    }
}

extension KafkaProducer {
    /// Sends `event` (see ``EventEnvelope/record()``); returns once the brokers acknowledged it.
    @discardableResult
    public func publish<Payload>(_ event: EventEnvelope<Payload>) async throws -> KafkaDeliveryReport {
        try await send([event.record()])[0]
    }

    /// Sends `events` in their order, so one conversation's events stay in it; returns once the brokers
    /// acknowledged all of them.
    @discardableResult
    public func publish<Payload>(_ events: [EventEnvelope<Payload>]) async throws -> [KafkaDeliveryReport] {
        try await send(events.map { try $0.record() })
    }
}
