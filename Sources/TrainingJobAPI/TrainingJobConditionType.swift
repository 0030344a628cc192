/// The `type` of a TrainingJob condition.
public struct TrainingJobConditionType: OpenEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// The operator accepted the job and created (or is creating) its children.
    /// True from the first reconcile on; it never goes back to False.
    public static let created: TrainingJobConditionType = "Created"
    public static let running: TrainingJobConditionType = "Running"
    public static let restarting: TrainingJobConditionType = "Restarting"
    public static let succeeded: TrainingJobConditionType = "Succeeded"
    public static let failed: TrainingJobConditionType = "Failed"
    public static let suspended: TrainingJobConditionType = "Suspended"
    public static let knownValues: [TrainingJobConditionType] = [
        .created, .running, .restarting, .succeeded, .failed, .suspended,
    ]
    /// The mutually exclusive conditions: at most one of them is True, the
    /// one `status.phase` names (none while Pending).
    public static let phaseConditions: [TrainingJobConditionType] = [
        .running, .restarting, .succeeded, .failed, .suspended,
    ]
}

/// `status` values of a condition (metav1.ConditionStatus).
public enum ConditionStatus {
    public static let `true` = "True"
    public static let `false` = "False"
    public static let unknown = "Unknown"
}

/// The `reason` of a TrainingJob condition: CamelCase, machine-readable.
public enum TrainingJobReason {
    /// Created: the job was accepted and its children are being created.
    public static let jobCreated = "JobCreated"
    /// Pending: waiting for every worker Pod to run.
    public static let waitingForWorkers = "WaitingForWorkers"
    /// Running: every worker is running.
    public static let allWorkersRunning = "AllWorkersRunning"
    /// Succeeded: rank 0 finished and wrote the model.
    public static let trainingSucceeded = "TrainingSucceeded"
    /// Restarting: a worker exited with an error; the ring restarts from the last checkpoint.
    public static let workerFailed = "WorkerFailed"
    /// Restarting: a worker Pod was evicted or deleted; the ring restarts.
    public static let evicted = "Evicted"
    /// Restarting: no progress for `runPolicy.progressDeadlineSeconds`.
    public static let stalled = "Stalled"
    /// Failed: the spec is invalid; the message lists every problem.
    public static let invalidSpec = "InvalidSpec"
    /// Failed: more restarts than `runPolicy.backoffLimit` allows.
    public static let backoffLimitExceeded = "BackoffLimitExceeded"
    /// Failed: running longer than `runPolicy.activeDeadlineSeconds`.
    public static let deadlineExceeded = "DeadlineExceeded"
    /// Failed: a worker exited with a non-retryable code (bad input).
    public static let workerInvalidInput = "WorkerInvalidInput"
    /// Failed: a worker's image cannot be pulled; restarting the ring cannot help.
    public static let imagePullFailed = "ImagePullFailed"
    /// Failed or Restarting: a rule of `spec.runPolicy.failurePolicy` matched
    /// a worker failure; the message names the rule and the exit code or reason.
    public static let failurePolicyRule = "FailurePolicyRule"
    /// Suspended: `runPolicy.suspend` is true.
    public static let jobSuspended = "JobSuspended"
    /// Running/Suspended set to False when the job resumes after a suspension.
    public static let jobResumed = "JobResumed"
    /// A phase condition set to False because another phase took over.
    public static let phaseChanged = "PhaseChanged"
}
