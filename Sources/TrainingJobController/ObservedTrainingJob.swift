import KubeClient
import TrainingJobAPI

/// Everything the planner looks at for one job, read from the informer
/// caches: the job, the worker Pods it controls, and which of its other
/// children exist.
public struct ObservedTrainingJob: Sendable {
    /// The kinds of child besides worker Pods.
    public enum Child: String, Sendable, Hashable, CaseIterable {
        case service, ringTokenSecret, serviceAccount, role, roleBinding, storageClaim
    }

    public var job: TrainingJob
    /// Worker Pods whose controller is the job.
    public var pods: [Pod]
    public var presentChildren: Set<Child>

    public init(job: TrainingJob, pods: [Pod], presentChildren: Set<Child>) {
        self.job = job
        self.pods = pods
        self.presentChildren = presentChildren
    }
}

/// The cache holds Pods of a newer restart attempt than the job's status
/// says: the job in the cache is older than its Pods. Acting on it could
/// delete the new Pods, so the reconcile is retried instead.
public struct StaleObservationError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
