import Metrics

/// What the gateway exports besides the HTTP metrics (infrastructure/observability/metrics.yaml).
enum GatewayMetrics {
    /// Why a request was refused with 429.
    enum RateLimitScope: String, CaseIterable {
        /// The client address's bucket.
        case address
        /// The user's bucket.
        case user
        /// Chat's limit of WebSockets per user, passed on to the client.
        case websocket
    }

    /// Why a call to a service failed.
    enum UpstreamFailure: String, CaseIterable {
        /// No connection could be made (the next instance is tried).
        case connect
        /// No answer in time.
        case timeout
        /// The exchange broke.
        case exchange
    }

    static func refused(_ scope: RateLimitScope) {
        Counter(label: "gateway_rate_limited_total", dimensions: [("scope", scope.rawValue)]).increment()
    }

    static func failed(_ service: String, _ kind: UpstreamFailure) {
        Counter(label: "gateway_upstream_errors_total", dimensions: [("service", service), ("kind", kind.rawValue)]).increment()
    }

    /// Creates every series, so that each is exported (at 0) from the start.
    static func register(services: [String]) {
        for scope in RateLimitScope.allCases {
            _ = Counter(label: "gateway_rate_limited_total", dimensions: [("scope", scope.rawValue)])
        }
        for service in services {
            for kind in UpstreamFailure.allCases {
                _ = Counter(label: "gateway_upstream_errors_total", dimensions: [("service", service), ("kind", kind.rawValue)])
            }
        }
    }
}
