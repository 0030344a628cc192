import TrainingJobAPI

/// The fixed names of a TrainingJob's children. Fixed names make creation
/// idempotent: an AlreadyExists answer means the child is there.
public struct ChildNames: Sendable, Hashable {
    /// The job's name.
    public var job: String

    public init(job: String) { self.job = job }

    /// The headless Service that gives every worker a stable DNS name.
    public var service: String { job }
    /// The worker Pod of `rank`: `<job>-worker-<rank>`.
    public func worker(_ rank: Int) -> String { "\(job)-worker-\(rank)" }
    /// The checkpoint and artifact claim the operator creates.
    public var storageClaim: String { "\(job)-storage" }
    /// The Secret holding the ring's shared token.
    public var ringTokenSecret: String { "\(job)-ring-token" }
    /// The workers' ServiceAccount, Role and RoleBinding.
    public var workerServiceAccount: String { "\(job)-worker" }
    public var workerRole: String { "\(job)-worker" }
    public var workerRoleBinding: String { "\(job)-worker" }

    /// The rank encoded in a worker Pod name, or nil for any other name.
    public func rank(ofWorker podName: String) -> Int? {
        let prefix = "\(job)-worker-"
        guard podName.hasPrefix(prefix) else { return nil }
        return Int(podName.dropFirst(prefix.count))
    }
}
