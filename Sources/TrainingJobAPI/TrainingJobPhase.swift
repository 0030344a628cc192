/// `status.phase`: the one-word state of a TrainingJob.
///
/// Each phase but `Pending` has a condition of the same name, and exactly
/// that condition is True among `TrainingJobConditionType.phaseConditions`
/// (see `TrainingJobStatus.setPhase`).
public struct TrainingJobPhase: OpenEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Accepted; workers are being created or scheduled.
    public static let pending: TrainingJobPhase = "Pending"
    /// Every worker is running and the ring is training.
    public static let running: TrainingJobPhase = "Running"
    /// A worker failed or stalled; the whole ring is restarting from the last checkpoint.
    public static let restarting: TrainingJobPhase = "Restarting"
    public static let succeeded: TrainingJobPhase = "Succeeded"
    public static let failed: TrainingJobPhase = "Failed"
    /// `spec.runPolicy.suspend` is true; no worker runs.
    public static let suspended: TrainingJobPhase = "Suspended"
    public static let knownValues: [TrainingJobPhase] = [.pending, .running, .restarting, .succeeded, .failed, .suspended]

    /// Succeeded or Failed: nothing will run again.
    public var isFinished: Bool { self == .succeeded || self == .failed }

    /// The condition that is True in this phase; nil for `Pending`.
    public var condition: TrainingJobConditionType? {
        switch self {
        case .running: .running
        case .restarting: .restarting
        case .succeeded: .succeeded
        case .failed: .failed
        case .suspended: .suspended
        default: nil
        }
    }
}
