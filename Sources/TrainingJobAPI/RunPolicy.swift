/// `spec.runPolicy`: retries, deadlines, clean-up and suspension.
public struct RunPolicy: Codable, Sendable, Hashable {
    /// Gang restarts allowed after a worker fails before the job is Failed.
    public var backoffLimit: Int
    /// The job fails (`DeadlineExceeded`) when it has run longer than this,
    /// counted from `status.startTime`.
    public var activeDeadlineSeconds: Int?
    /// A finished job is deleted this long after `status.completionTime`.
    public var ttlSecondsAfterFinished: Int?
    public var cleanPodPolicy: CleanPodPolicy
    /// True deletes the workers (keeping the checkpoint); false resumes.
    public var suspend: Bool
    /// A running job whose `status.progress.lastUpdateTime` is older than this
    /// is `Stalled` and gang-restarted (counting against `backoffLimit`).
    /// While it is set, every worker writes a heartbeat into `status.ranks`,
    /// from which `status.failure` names the rank that held the ring up.
    public var progressDeadlineSeconds: Int?
    /// Base of the exponential delay before a gang restart:
    /// `restartBackoffSeconds * 2^(restartCount)`, capped at 5 minutes.
    public var restartBackoffSeconds: Int
    /// Rules that map a worker failure (exit codes, reasons) to an action;
    /// nil or no rules: only `FailurePolicySpec.defaultRules` apply.
    public var failurePolicy: FailurePolicySpec?

    public init(
        backoffLimit: Int = TrainingJobDefaults.backoffLimit,
        activeDeadlineSeconds: Int? = nil,
        ttlSecondsAfterFinished: Int? = nil,
        cleanPodPolicy: CleanPodPolicy = TrainingJobDefaults.cleanPodPolicy,
        suspend: Bool = TrainingJobDefaults.suspend,
        progressDeadlineSeconds: Int? = nil,
        restartBackoffSeconds: Int = TrainingJobDefaults.restartBackoffSeconds,
        failurePolicy: FailurePolicySpec? = nil
    ) {
        self.backoffLimit = backoffLimit
        self.activeDeadlineSeconds = activeDeadlineSeconds
        self.ttlSecondsAfterFinished = ttlSecondsAfterFinished
        self.cleanPodPolicy = cleanPodPolicy
        self.suspend = suspend
        self.progressDeadlineSeconds = progressDeadlineSeconds
        self.restartBackoffSeconds = restartBackoffSeconds
        self.failurePolicy = failurePolicy
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case backoffLimit, activeDeadlineSeconds, ttlSecondsAfterFinished, cleanPodPolicy, suspend
        case progressDeadlineSeconds, restartBackoffSeconds, failurePolicy
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        backoffLimit = try c.decodeIfPresent(Int.self, forKey: .backoffLimit) ?? TrainingJobDefaults.backoffLimit
        activeDeadlineSeconds = try c.decodeIfPresent(Int.self, forKey: .activeDeadlineSeconds)
        ttlSecondsAfterFinished = try c.decodeIfPresent(Int.self, forKey: .ttlSecondsAfterFinished)
        cleanPodPolicy = try c.decodeIfPresent(CleanPodPolicy.self, forKey: .cleanPodPolicy) ?? TrainingJobDefaults.cleanPodPolicy
        suspend = try c.decodeIfPresent(Bool.self, forKey: .suspend) ?? TrainingJobDefaults.suspend
        progressDeadlineSeconds = try c.decodeIfPresent(Int.self, forKey: .progressDeadlineSeconds)
        restartBackoffSeconds = try c.decodeIfPresent(Int.self, forKey: .restartBackoffSeconds)
            ?? TrainingJobDefaults.restartBackoffSeconds
        failurePolicy = try c.decodeIfPresent(FailurePolicySpec.self, forKey: .failurePolicy)
    }
}
