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

    public init(
        seeds: [NodeAddress], username: String? = nil, password: String? = nil,
        commandTimeoutMilliseconds: Int = 1000, maxRedirects: Int = 5, retryDeadlineMilliseconds: Int = 10_000,
        connectionsPerNode: Int = 1, readFromReplicas: Bool = false, topologyRefreshIntervalSeconds: Int = 30
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
    }
}
