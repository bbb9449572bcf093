import Metrics

/// What the cluster client exports (infrastructure/observability/metrics.yaml): redirects it followed, commands it
/// retried and topology reloads.
enum ClusterMetrics {
    static let moved = Counter(label: "redis_cluster_redirects_total", dimensions: [("kind", "moved")])
    static let ask = Counter(label: "redis_cluster_redirects_total", dimensions: [("kind", "ask")])
    static let retries = Counter(label: "redis_cluster_retries_total")
    static let topologyReloads = Counter(label: "redis_cluster_topology_reloads_total")

    /// Creates every series, so that each is exported (at 0) from the start.
    static func register() {
        _ = (moved, ask, retries, topologyReloads)
    }
}
