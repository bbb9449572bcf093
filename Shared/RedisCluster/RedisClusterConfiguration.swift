/// How a ``RedisClusterClient`` reaches the cluster.
public struct RedisClusterConfiguration: Sendable {
    /// Any nodes of the cluster; the full topology is discovered from the first that answers.
    public var seeds: [NodeAddress]
    public var username: String?
    public var password: String?
    /// Connect and per-command timeout.
    public var commandTimeoutMilliseconds: Int
    /// How many MOVED/ASK redirects one command may follow before failing.
    public var maxRedirects: Int
    /// Worker threads running blocking hiredis calls.
    public var workerThreads: Int

    public init(
        seeds: [NodeAddress], username: String? = nil, password: String? = nil,
        commandTimeoutMilliseconds: Int = 1000, maxRedirects: Int = 5, workerThreads: Int = 8
    ) {
        self.seeds = seeds
        self.username = username
        self.password = password
        self.commandTimeoutMilliseconds = commandTimeoutMilliseconds
        self.maxRedirects = maxRedirects
        self.workerThreads = workerThreads
    }
}
