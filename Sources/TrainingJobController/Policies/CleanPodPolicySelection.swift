import TrainingJobAPI

extension CleanPodPolicy {
    /// The worker Pods to delete once the job has finished: `All` every Pod,
    /// `Running` those not finished, `None` none. Pods already terminating
    /// are left alone.
    public func podsToDelete(_ workers: [WorkerObservation]) -> [WorkerObservation] {
        let candidates = workers.filter { !$0.terminating }
        switch self {
        case .all: return candidates
        case .none: return []
        default: return candidates.filter { !$0.isFinished }
        }
    }
}
