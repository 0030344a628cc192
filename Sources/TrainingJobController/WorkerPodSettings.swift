import TrainingJobAPI

/// Operator-wide settings that shape every worker Pod.
public struct WorkerPodSettings: Sendable, Hashable {
    /// Replaces `TrainingJobDefaults.image` in jobs that use the default
    /// image (the operator's `--worker-image`); nil keeps it.
    public var workerImage: String?
    /// `RINGMASTER_PROGRESS_INTERVAL_SECONDS` for the workers.
    public var progressIntervalSeconds: Double
    /// `RINGMASTER_PEER_TIMEOUT_SECONDS` for the workers.
    public var peerTimeoutSeconds: Double
    /// The worker Pods' `terminationGracePeriodSeconds`.
    public var terminationGracePeriodSeconds: Int64

    public init(
        workerImage: String? = nil, progressIntervalSeconds: Double = 5, peerTimeoutSeconds: Double = 30,
        terminationGracePeriodSeconds: Int64 = 30
    ) {
        self.workerImage = workerImage
        self.progressIntervalSeconds = progressIntervalSeconds
        self.peerTimeoutSeconds = peerTimeoutSeconds
        self.terminationGracePeriodSeconds = terminationGracePeriodSeconds
    }

    /// The image a job's workers run.
    public func image(for spec: TrainingJobSpec) -> String {
        if spec.image == TrainingJobDefaults.image, let workerImage { return workerImage }
        return spec.image
    }
}
