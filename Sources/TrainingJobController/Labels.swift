/// Labels and annotations the operator sets. Keys under `ringmaster.dev/`
/// are reserved: the API rejects them in `spec.template`.
public enum TrainingJobLabels {
    /// On every child: the owning job's name (the Service selects on it).
    public static let jobName = "ringmaster.dev/job-name"
    /// On worker Pods: the rank.
    public static let replicaIndex = "ringmaster.dev/replica-index"
    /// On worker Pods: the gang restart attempt that created the Pod
    /// (`status.restartCount` at the time).
    public static let restartAttempt = "ringmaster.dev/restart-attempt"
}

/// Fixed ports and paths of the worker contract.
public enum WorkerLayout {
    /// The port every rank listens on for its ring neighbours.
    public static let ringPort = 29400
    /// `MASTER_PORT`, for bring-your-own PyTorch images.
    public static let masterPort = 29500
    /// Where the checkpoint and artifact claim is mounted.
    public static let storageMountPath = "/var/lib/ringmaster"
    public static let checkpointDirectory = "/var/lib/ringmaster/checkpoints"
    public static let artifactDirectory = "/var/lib/ringmaster/artifacts"
    /// The name of the worker container.
    public static let containerName = "worker"
    /// Volume names in the worker Pod.
    public static let storageVolume = "storage"
    public static let datasetVolume = "dataset"
    /// The key of the token in the ring token Secret.
    public static let tokenKey = "token"
}
