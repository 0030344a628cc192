/// What is known about one worker failure, as failure policy rules see it.
public struct FailureEvidence: Sendable, Hashable {
    /// The exit code of every terminated container of the Pod, by container
    /// name (init and sidecar containers excepted).
    public var exitCodes: [String: Int32]
    public var reasons: Set<PodFailureReason>

    public init(exitCodes: [String: Int32] = [:], reasons: Set<PodFailureReason> = []) {
        self.exitCodes = exitCodes
        self.reasons = reasons
    }
}
