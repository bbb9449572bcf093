import Metrics

/// What the notification service exports besides the HTTP metrics (infrastructure/observability/metrics.yaml).
enum NotificationMetrics {
    /// Pushes that failed every attempt and went to notification.dead-letter.
    static let deadLetters = Counter(label: "notification_dead_letters_total")
    /// The outcomes of `notification_pushes_total`.
    static let outcomes = ["delivered", "retried", "dead_lettered", "target_gone"]

    /// Creates every series, so that each is exported (at 0) from the start.
    static func register() {
        _ = deadLetters
        for outcome in outcomes { _ = Counter(label: "notification_pushes_total", dimensions: [("outcome", outcome)]) }
    }
}
