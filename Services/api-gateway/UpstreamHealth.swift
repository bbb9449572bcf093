import AsyncHTTPClient

/// Liveness of the instances behind one upstream service.
enum UpstreamHealth {
    struct NoHealthyInstance: Error, CustomStringConvertible {
        let instances: [String]
        var description: String { "no healthy instance among \(instances.joined(separator: ", "))" }
    }

    /// Succeeds when at least one of `instances` answers `GET /health` with 200 within a second.
    static func requireOneHealthy(_ instances: [String], client: HTTPClient) async throws {
        for base in instances {
            let request = HTTPClientRequest(url: base + "/health")
            if let response = try? await client.execute(request, timeout: .seconds(1)), response.status.code == 200 {
                return
            }
        }
        throw NoHealthyInstance(instances: instances)
    }
}
