import NIOSSL

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a ``RedisClusterClient`` reaches the cluster and how patient it is with it.
public struct RedisClusterConfiguration: Sendable {
    /// Any nodes of the cluster; the full topology is discovered from the first that answers.
    public var seeds: [NodeAddress]
    /// ACL user for `AUTH` (nil: the default user).
    public var username: String?
    /// Password for `AUTH` (nil: no `AUTH`).
    public var password: String?
    /// Connect timeout and the time one command may wait for its reply.
    public var commandTimeoutMilliseconds: Int
    /// How many MOVED/ASK redirects one command may follow before failing.
    public var maxRedirects: Int
    /// How long a command keeps retrying through unreachable masters (failover) and transient cluster states
    /// (`TRYAGAIN`, `CLUSTERDOWN`, `LOADING`, `MASTERDOWN`) before it fails.
    public var retryDeadlineMilliseconds: Int
    /// Multiplexed connections kept to each node. One is usually fastest: concurrent requests share its writes and
    /// the node answers them in large batches (measured with the RedisClusterBenchmark program).
    public var connectionsPerNode: Int
    /// Send read-only commands to replicas (`READONLY`); their answers may lag the master slightly.
    public var readFromReplicas: Bool
    /// How often the topology is reloaded even without a redirect.
    public var topologyRefreshIntervalSeconds: Int
    /// TLS to every node (commands, topology, pub/sub), nil for plaintext.
    public var tls: TLS?

    public init(
        seeds: [NodeAddress], username: String? = nil, password: String? = nil,
        commandTimeoutMilliseconds: Int = 1000, maxRedirects: Int = 5, retryDeadlineMilliseconds: Int = 10_000,
        connectionsPerNode: Int = 1, readFromReplicas: Bool = false, topologyRefreshIntervalSeconds: Int = 30,
        tls: TLS? = nil
    ) {
        self.seeds = seeds
        self.username = username
        self.password = password
        self.commandTimeoutMilliseconds = commandTimeoutMilliseconds
        self.maxRedirects = maxRedirects
        self.retryDeadlineMilliseconds = retryDeadlineMilliseconds
        self.connectionsPerNode = connectionsPerNode
        self.readFromReplicas = readFromReplicas
        self.topologyRefreshIntervalSeconds = topologyRefreshIntervalSeconds
        self.tls = tls
    }

    /// TLS to the nodes: each connection verifies the node's certificate chain against the trusted CAs and its
    /// subject alternative names against the address connected to. Cluster nodes are announced by IP address, so
    /// that is usually an IP SAN (no SNI is sent for an IP); a seed given by DNS name is checked against that name,
    /// which is also sent as SNI. TLS 1.2 or later.
    public struct TLS: Sendable {
        /// The PEM file whose certificates are the only ones trusted; nil: the system's trust roots.
        public let caFile: String?
        let context: NIOSSLContext

        /// Reads `caFile` (nil: the system's trust roots). Throws ``RedisError/Kind/tls`` when the file cannot be
        /// read or holds no valid PEM certificate, so a bad file stops the start instead of failing every connection.
        public init(caFile: String?) throws {
            self.caFile = caFile
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.minimumTLSVersion = .tlsv12
            configuration.certificateVerification = .fullVerification
            if let caFile {
                configuration.trustRoots = .certificates(try Self.certificates(in: caFile))
            }
            do {
                context = try NIOSSLContext(configuration: configuration)
            } catch {
                throw RedisError(kind: .tls, message: "cannot set up TLS: \(error)")
            }
        }

        private static func certificates(in path: String) throws -> [NIOSSLCertificate] {
            let bytes = try contents(of: path)
            guard let certificates = try? NIOSSLCertificate.fromPEMBytes(bytes), !certificates.isEmpty else {
                throw RedisError(kind: .tls, message: "the CA file \(path) holds no valid PEM certificate")
            }
            return certificates
        }

        private static func contents(of path: String) throws(RedisError) -> [UInt8] {
            guard let file = fopen(path, "rb") else {
                throw RedisError(kind: .tls, message: "cannot read the CA file \(path): \(String(cString: strerror(errno)))")
            }
            defer { fclose(file) }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 16_384)
            while true {
                let count = fread(&chunk, 1, chunk.count, file)
                bytes += chunk[..<count]
                guard count == chunk.count else { break }
            }
            guard ferror(file) == 0 else {
                throw RedisError(kind: .tls, message: "cannot read the CA file \(path): \(String(cString: strerror(errno)))")
            }
            return bytes
        }
    }
}
