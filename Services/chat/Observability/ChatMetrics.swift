import Metrics

/// What chat exports besides the HTTP metrics (infrastructure/observability/metrics.yaml).
enum ChatMetrics {
    /// Messages stored: allocated, inserted, acknowledged by Kafka.
    static let messagesWritten = Counter(label: "chat_messages_written_total")
    /// Messages per writer batch.
    static let batchSize = Recorder(label: "chat_writer_batch_size", aggregate: true)
    /// From a message queued for the writer to its answer.
    static let ackLatency = Timer(label: "chat_ack_latency_seconds")
    /// From a `message.created` record's Kafka timestamp (the message's creation for this instance's own messages) to
    /// its frame queued on the local recipients' sockets.
    static let deliveryLag = Timer(label: "chat_delivery_lag_seconds")
    /// WebSocket sessions held.
    static let websocketsOpen = Gauge(label: "chat_websockets_open")
    /// Frames an outbox refused because it was full.
    static let droppedFrames = Counter(label: "chat_outbox_dropped_frames_total")

    /// `chat_websocket_closes_total{code}`: sessions closed by the server, at a client's request or not.
    static func closed(code: UInt16) {
        Counter(label: "chat_websocket_closes_total", dimensions: [("code", String(code))]).increment()
    }

    /// Creates every series, so that each is exported (at 0) from the start.
    static func register() {
        _ = (messagesWritten, batchSize, ackLatency, deliveryLag, droppedFrames)
        websocketsOpen.record(0)
        for stage in WriteStage.allCases { _ = stage.timer }
        for code: UInt16 in [1000, 1001, ConnectionOutbox.overflowCloseCode] {
            _ = Counter(label: "chat_websocket_closes_total", dimensions: [("code", String(code))])
        }
    }
}
