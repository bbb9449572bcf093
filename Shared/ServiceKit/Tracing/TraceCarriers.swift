import NIOHTTP1
import Tracing

/// Reads and writes trace context in a `[String: String]` (a `traceparent` stored or parsed apart from a request).
public struct DictionaryCarrier: Injector, Extractor {
    public init() {}
    public func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
    public func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}

/// Writes trace context into NIO's HTTP/1 headers (the gateway's upstream requests and WebSocket upgrades).
public struct HTTPHeadersInjector: Injector {
    public init() {}
    public func inject(_ value: String, forKey key: String, into carrier: inout HTTPHeaders) { carrier.replaceOrAdd(name: key, value: value) }
}

/// Reads trace context from NIO's HTTP/1 headers (a WebSocket upgrade request).
public struct HTTPHeadersExtractor: Extractor {
    public init() {}
    public func extract(key: String, from carrier: HTTPHeaders) -> String? { carrier.first(name: key) }
}

/// Writes trace context into Kafka record headers (consumers read the `traceparent` with ``TraceParent``).
public struct KafkaHeadersInjector: Injector {
    public init() {}
    public func inject(_ value: String, forKey key: String, into carrier: inout [(name: String, value: [UInt8])]) {
        carrier.removeAll { $0.name == key }
        carrier.append((name: key, value: Array(value.utf8)))
    }
}
