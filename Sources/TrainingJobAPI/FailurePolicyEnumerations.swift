/// What a matching `spec.runPolicy.failurePolicy` rule does with the job.
public struct FailurePolicyAction: OpenEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Fail the job at once; no restart is attempted.
    public static let failJob: FailurePolicyAction = "FailJob"
    /// Gang-restart from the last checkpoint, counting toward `runPolicy.backoffLimit`.
    public static let restartJob: FailurePolicyAction = "RestartJob"
    /// Gang-restart from the last checkpoint without counting toward `runPolicy.backoffLimit`.
    public static let restartJobAndIgnoreBackoffLimit: FailurePolicyAction = "RestartJobAndIgnoreBackoffLimit"
    public static let knownValues: [FailurePolicyAction] = [.failJob, .restartJob, .restartJobAndIgnoreBackoffLimit]
}

/// How `onExitCodes.values` is compared with a container's exit code.
public struct ExitCodeOperator: OpenEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// The exit code is one of the values.
    public static let `in`: ExitCodeOperator = "In"
    /// The exit code is none of the values (and not 0).
    public static let notIn: ExitCodeOperator = "NotIn"
    public static let knownValues: [ExitCodeOperator] = [.in, .notIn]
}

/// Why a worker Pod stopped, as far as the operator can tell from the Pod
/// (the reasons an `onReasons` matcher names).
public struct PodFailureReason: OpenEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// A container was killed for using more memory than its limit
    /// (container reason `OOMKilled`).
    public static let oomKilled: PodFailureReason = "OOMKilled"
    /// The Pod was evicted: by the kubelet under node pressure or through the
    /// Eviction API (Pod reason `Evicted`, or condition `DisruptionTarget`
    /// with reason `EvictionByEvictionAPI` or `TerminationByKubelet`), or
    /// disrupted in a way the Pod does not say more about.
    public static let evicted: PodFailureReason = "Evicted"
    /// The scheduler preempted the Pod for one of higher priority (Pod reason
    /// `Preempting`, or `DisruptionTarget` with reason `PreemptionByScheduler`).
    public static let preempted: PodFailureReason = "Preempted"
    /// The Pod's node went away (Pod reason `NodeLost`, `NodeRestart`,
    /// `Shutdown`, `Terminated`, `DeletionByTaintManager`, or
    /// `DisruptionTarget` with reason `DeletionByTaintManager` or `DeletionByPodGC`).
    public static let nodeLost: PodFailureReason = "NodeLost"
    /// Someone else deleted the Pod while it ran, or it disappeared after
    /// every worker had started.
    public static let deleted: PodFailureReason = "Deleted"
    /// The worker's image cannot be pulled (`ErrImagePull`, `ImagePullBackOff`,
    /// `InvalidImageName`, `ErrImageNeverPull`), whether the Pod is still
    /// Pending or already Failed.
    public static let imagePullFailed: PodFailureReason = "ImagePullFailed"
    public static let knownValues: [PodFailureReason] = [.oomKilled, .evicted, .preempted, .nodeLost, .deleted, .imagePullFailed]
}
