import Foundation

/// infrastructure/observability/metrics.yaml (the metrics the dashboards and alarms may use) and what the dashboards
/// and alarms name, read for comparison with what the services export on `/metrics`.
struct MetricCatalogue {
    struct Metric {
        let name: String
        let labels: [String]
        let services: [String]
    }

    let metrics: [Metric]

    /// Reads the catalogue: entries of `- name:` with their `labels:` and `services:` flow lists.
    static func load() throws -> MetricCatalogue {
        let text = try String(contentsOf: TestStack.repositoryRoot.appending(path: "infrastructure/observability/metrics.yaml"), encoding: .utf8)
        var metrics: [Metric] = []
        var name: String?
        var labels: [String] = []
        var services: [String] = []
        func flush() {
            if let name { metrics.append(Metric(name: name, labels: labels, services: services)) }
            (name, labels, services) = (nil, [], [])
        }
        for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("- name:") {
                flush()
                name = line.dropFirst("- name:".count).trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("labels:") {
                labels = flowList(line.dropFirst("labels:".count))
            } else if line.hasPrefix("services:") {
                services = flowList(line.dropFirst("services:".count))
            }
        }
        flush()
        return MetricCatalogue(metrics: metrics)
    }

    private static func flowList(_ text: Substring) -> [String] {
        text.trimmingCharacters(in: CharacterSet(charactersIn: " []")).split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The services' metric names that the Grafana dashboard, the CloudWatch dashboards and alarms (Terraform
    /// monitoring module, the ECS stack) and the collector name (a histogram's series as the histogram).
    static func namedByDashboardsAndAlarms() throws -> Set<String> {
        let root = TestStack.repositoryRoot
        var files = [
            root.appending(path: "docker/grafana/dashboards/chat-backend.json"),
            root.appending(path: "infrastructure/ecs-task-definitions.yaml"),
            root.appending(path: "infrastructure/observability/otel-collector.yaml"),
        ]
        let monitoring = root.appending(path: "infrastructure/terraform/modules/monitoring")
        files += try FileManager.default.contentsOfDirectory(at: monitoring, includingPropertiesForKeys: nil).filter { $0.pathExtension == "tf" }
        let families = ["hb_", "chat_", "kafka_consumer_", "redis_cluster_", "notification_", "auth_password_", "gateway_"]
        let token = try NSRegularExpression(pattern: #"\b(?:"# + families.joined(separator: "|") + #")[a-z0-9_]+\b"#)
        var names: Set<String> = []
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in token.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                var name = String(text[Range(match.range, in: text)!])
                // Terraform names its own resources and variables this way too: only names with a metric's suffix
                // or known to the catalogue count.
                for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
                names.insert(name)
            }
        }
        let catalogued = Set(try load().metrics.map(\.name))
        return names.filter { catalogued.contains($0) || $0.hasSuffix("_total") || $0.hasSuffix("_seconds") }
    }

    /// The sample lines of `name` (a histogram's `_bucket`, `_sum` and `_count` included) in a Prometheus scrape.
    static func samples(_ scrape: String, _ name: String) -> [Substring] {
        scrape.split(separator: "\n").filter { line in
            guard !line.hasPrefix("#") else { return false }
            return ["", "_bucket", "_sum", "_count"].contains { suffix in
                let series = name + suffix
                return line.hasPrefix(series + " ") || line.hasPrefix(series + "{")
            }
        }
    }

    /// Whether the scrape has a sample of `name`.
    static func exports(_ scrape: String, _ name: String) -> Bool { !samples(scrape, name).isEmpty }

    /// The value of the sample `series` (name with its labels as exported, e.g. `x_total{kind="a"}`).
    static func value(_ scrape: String, _ series: String) -> Double? {
        scrape.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }
}
