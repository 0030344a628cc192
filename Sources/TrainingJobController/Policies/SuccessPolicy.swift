import TrainingJobAPI

/// When the job has succeeded: rank 0, which evaluates the model and writes
/// the artifacts, exited 0. The other ranks' Pods are cleaned up by the
/// clean-pod policy.
public enum SuccessPolicy {
    /// The succeeded rank-0 worker, if any.
    public static func succeeded(_ workers: [WorkerObservation]) -> WorkerObservation? {
        workers.first { $0.rank == 0 && $0.phase == .succeeded }
    }
}
