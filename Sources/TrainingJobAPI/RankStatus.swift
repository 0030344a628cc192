/// `status.ranks["<rank>"]`: one worker's heartbeat, written by that worker
/// alone with a JSON merge patch of its own key, so ranks never overwrite
/// each other and the operator never writes the map.
///
/// From the moment it starts joining the ring, a rank writes its entry every
/// `RINGMASTER_HEARTBEAT_SECONDS` from a task of its own, so a rank blocked inside a collective keeps beating while a
/// stopped process (SIGSTOP, a frozen node) falls silent. Stall detection
/// reads the entries of the current restart attempt to name the rank that
/// holds the ring up; entries of an older `attempt` are history and ignored.
public struct RankStatus: Codable, Sendable, Hashable {
    /// The restart attempt of the worker that wrote the entry
    /// (`RINGMASTER_RESTART_ATTEMPT`, equal to `status.restartCount` then).
    public var attempt: Int?
    /// Optimizer steps this rank has finished, since the start of training
    /// (restarts included).
    public var step: Int?
    /// When the worker wrote this entry (RFC 3339, the worker's clock).
    public var heartbeatTime: String?
    /// What the rank is doing; see `RankActivity`.
    public var activity: RankActivity?
    /// Since when it has been doing it (RFC 3339, the worker's clock).
    public var activitySince: String?

    public init(
        attempt: Int? = nil, step: Int? = nil, heartbeatTime: String? = nil,
        activity: RankActivity? = nil, activitySince: String? = nil
    ) {
        self.attempt = attempt
        self.step = step
        self.heartbeatTime = heartbeatTime
        self.activity = activity
        self.activitySince = activitySince
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case attempt, step, heartbeatTime, activity, activitySince }
}

/// What a rank is doing when it writes its heartbeat.
public struct RankActivity: OpenEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Working on its own: loading a batch, forward and backward passes,
    /// the optimizer step, evaluation, checkpoints.
    public static let computing: RankActivity = "Computing"
    /// Connecting to its ring neighbours (every rank waits here for the last to start).
    public static let joining: RankActivity = "Joining"
    /// Inside an all-reduce, waiting for its peers. In a synchronous ring
    /// every healthy rank waits here for the slowest one.
    public static let allReduce: RankActivity = "AllReduce"
    /// Inside a broadcast (the checkpoint handed out by rank 0 on resume).
    public static let broadcast: RankActivity = "Broadcast"
    /// Inside a barrier (every rank waits for all to arrive).
    public static let barrier: RankActivity = "Barrier"
    /// Training is over; the rank is writing its results and exiting.
    public static let finished: RankActivity = "Finished"
    public static let knownValues: [RankActivity] = [.joining, .computing, .allReduce, .broadcast, .barrier, .finished]

    /// Whether the rank is waiting for its peers in a collective.
    public var isCollective: Bool { self == .allReduce || self == .broadcast || self == .barrier }

    /// In words, for messages: "all-reduce", "computing", ...
    public var words: String {
        switch self {
        case .joining: "joining the ring"
        case .computing: "computing"
        case .allReduce: "waiting in all-reduce"
        case .broadcast: "waiting in broadcast"
        case .barrier: "waiting in barrier"
        case .finished: "finished"
        default: rawValue
        }
    }
}
