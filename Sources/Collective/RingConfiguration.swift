/// Where the ranks of one job are and how they prove they belong to it.
public struct RingConfiguration: Sendable {
    /// This process's rank, in `0..<worldSize`.
    public var rank: Int
    public var worldSize: Int
    /// "host:port" of every rank, in rank order. Each rank listens on its own
    /// entry (bound to that host) and connects to the next rank's.
    public var peers: [String]
    /// The per-job secret. It never goes on the wire: peers prove they hold it
    /// with an HMAC-SHA256 challenge/response in both directions.
    public var authToken: String
    /// How long `TCPCommunicator.connect` retries while peers start up.
    public var connectTimeout: Duration
    /// How long any one collective may take before every rank throws `timeout`.
    public var operationTimeout: Duration
    /// Elements per frame: large buffers are cut into segments of this size so
    /// that sending, receiving and reducing overlap.
    public var segmentElements: Int

    public init(rank: Int, worldSize: Int, peers: [String], authToken: String,
                connectTimeout: Duration = .seconds(60), operationTimeout: Duration = .seconds(60),
                segmentElements: Int = 64 * 1024) {
        self.rank = rank
        self.worldSize = worldSize
        self.peers = peers
        self.authToken = authToken
        self.connectTimeout = connectTimeout
        self.operationTimeout = operationTimeout
        self.segmentElements = segmentElements
    }

    /// Throws `invalidArgument` naming the first inconsistency.
    public func validate() throws(CollectiveError) {
        guard worldSize >= 1 else { throw CollectiveError(.invalidArgument, "world size \(worldSize) must be at least 1") }
        guard worldSize <= Int(UInt16.max) else { throw CollectiveError(.invalidArgument, "world size \(worldSize) exceeds \(UInt16.max)") }
        guard (0..<worldSize).contains(rank) else {
            throw CollectiveError(.invalidArgument, "rank \(rank) is not in 0..<\(worldSize)")
        }
        guard peers.count == worldSize else {
            throw CollectiveError(.invalidArgument, "\(peers.count) peer addresses for a world of \(worldSize)")
        }
        guard worldSize == 1 || !authToken.isEmpty else {
            throw CollectiveError(.invalidArgument, "the auth token is empty")
        }
        guard segmentElements >= 1 else {
            throw CollectiveError(.invalidArgument, "segment size \(segmentElements) must be at least 1 element")
        }
        for peer in peers { _ = try PosixSocket.splitHostPort(peer) }
    }
}
