import KubeClient

/// `status` of a TrainingJob, written through the status subresource.
///
/// Ownership: the workers write `progress`, `checkpoint`, `metrics` and
/// `artifact` (rank 0) and `ranks` (each rank its own key); the operator
/// writes everything else (see `StatusPatch.operatorFields`). Times are
/// RFC 3339 strings as the API server sends them.
public struct TrainingJobStatus: Codable, Sendable, Hashable {
    public var phase: TrainingJobPhase?
    /// See `TrainingJobConditionType`; kept in the order they first appeared.
    public var conditions: [Condition]
    /// One line: the current state in words (what `kubectl get -o wide` shows).
    public var message: String?
    public var workers: WorkerCounts?
    /// `"<ready>/<desired>"`, for the WORKERS printer column.
    public var workersReady: String?
    /// Gang restarts so far (also the current restart attempt).
    public var restartCount: Int?
    /// How many of the `restartCount` restarts were caused by a disruption
    /// (eviction, preemption, node loss, a Pod deleted by someone else).
    /// They do not count toward `backoffLimit`: the counted restarts are
    /// `restartCount - disruptions`. Written in the same status write as
    /// the restart it describes.
    public var disruptions: Int?
    /// When the first worker Pods were created.
    public var startTime: String?
    /// When the job Succeeded or Failed.
    public var completionTime: String?
    /// The `metadata.generation` this status describes.
    public var observedGeneration: Int64?
    public var progress: TrainingProgress?
    public var checkpoint: CheckpointStatus?
    public var failure: FailureStatus?
    public var metrics: TrainingMetrics?
    public var artifact: ArtifactStatus?
    /// Each worker's heartbeat, keyed by its rank as a decimal string; see `RankStatus`.
    public var ranks: [String: RankStatus]?

    public init(
        phase: TrainingJobPhase? = nil, conditions: [Condition] = [], message: String? = nil,
        workers: WorkerCounts? = nil, workersReady: String? = nil, restartCount: Int? = nil, disruptions: Int? = nil,
        startTime: String? = nil, completionTime: String? = nil, observedGeneration: Int64? = nil,
        progress: TrainingProgress? = nil, checkpoint: CheckpointStatus? = nil,
        failure: FailureStatus? = nil, metrics: TrainingMetrics? = nil, artifact: ArtifactStatus? = nil,
        ranks: [String: RankStatus]? = nil
    ) {
        self.phase = phase
        self.conditions = conditions
        self.message = message
        self.workers = workers
        self.workersReady = workersReady
        self.restartCount = restartCount
        self.disruptions = disruptions
        self.startTime = startTime
        self.completionTime = completionTime
        self.observedGeneration = observedGeneration
        self.progress = progress
        self.checkpoint = checkpoint
        self.failure = failure
        self.metrics = metrics
        self.artifact = artifact
        self.ranks = ranks
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case phase, conditions, message, workers, workersReady, restartCount, disruptions, startTime, completionTime
        case observedGeneration, progress, checkpoint, failure, metrics, artifact, ranks
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        phase = try c.decodeIfPresent(TrainingJobPhase.self, forKey: .phase)
        conditions = try c.decodeIfPresent([Condition].self, forKey: .conditions) ?? []
        message = try c.decodeIfPresent(String.self, forKey: .message)
        workers = try c.decodeIfPresent(WorkerCounts.self, forKey: .workers)
        workersReady = try c.decodeIfPresent(String.self, forKey: .workersReady)
        restartCount = try c.decodeIfPresent(Int.self, forKey: .restartCount)
        disruptions = try c.decodeIfPresent(Int.self, forKey: .disruptions)
        startTime = try c.decodeIfPresent(String.self, forKey: .startTime)
        completionTime = try c.decodeIfPresent(String.self, forKey: .completionTime)
        observedGeneration = try c.decodeIfPresent(Int64.self, forKey: .observedGeneration)
        progress = try c.decodeIfPresent(TrainingProgress.self, forKey: .progress)
        checkpoint = try c.decodeIfPresent(CheckpointStatus.self, forKey: .checkpoint)
        failure = try c.decodeIfPresent(FailureStatus.self, forKey: .failure)
        metrics = try c.decodeIfPresent(TrainingMetrics.self, forKey: .metrics)
        artifact = try c.decodeIfPresent(ArtifactStatus.self, forKey: .artifact)
        ranks = try c.decodeIfPresent([String: RankStatus].self, forKey: .ranks)
    }

    /// Omits `conditions` when empty, like every other unset field.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(phase, forKey: .phase)
        if !conditions.isEmpty { try c.encode(conditions, forKey: .conditions) }
        try c.encodeIfPresent(message, forKey: .message)
        try c.encodeIfPresent(workers, forKey: .workers)
        try c.encodeIfPresent(workersReady, forKey: .workersReady)
        try c.encodeIfPresent(restartCount, forKey: .restartCount)
        try c.encodeIfPresent(disruptions, forKey: .disruptions)
        try c.encodeIfPresent(startTime, forKey: .startTime)
        try c.encodeIfPresent(completionTime, forKey: .completionTime)
        try c.encodeIfPresent(observedGeneration, forKey: .observedGeneration)
        try c.encodeIfPresent(progress, forKey: .progress)
        try c.encodeIfPresent(checkpoint, forKey: .checkpoint)
        try c.encodeIfPresent(failure, forKey: .failure)
        try c.encodeIfPresent(metrics, forKey: .metrics)
        try c.encodeIfPresent(artifact, forKey: .artifact)
        try c.encodeIfPresent(ranks, forKey: .ranks)
    }
}
