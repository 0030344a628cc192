/// `spec.runPolicy.failurePolicy`: what a worker failure does to the job.
///
/// A failure is matched against `rules` in order, then against
/// `defaultRules`; the first rule that matches decides. A failed worker that
/// no rule matches restarts the ring and counts toward `backoffLimit`
/// (the `RestartJob` action).
public struct FailurePolicySpec: Codable, Sendable, Hashable {
    /// The user's rules, tried before `defaultRules`; at most `TrainingJobSchema.maxFailurePolicyRules`.
    public var rules: [FailurePolicyRule]

    public init(rules: [FailurePolicyRule] = []) {
        self.rules = rules
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case rules
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rules = try c.decodeIfPresent([FailurePolicyRule].self, forKey: .rules) ?? []
    }

    /// The rules every job has after its own: the Ringmaster worker's
    /// behaviour, written as rules.
    ///
    /// 0. exit code 20 (`WorkerExitCode.invalidInput`: bad data or
    ///    hyperparameters) fails the job: retrying cannot help;
    /// 1. an image that cannot be pulled fails the job;
    /// 2. an eviction, preemption, lost node or deletion by someone else
    ///    restarts the ring without counting toward `backoffLimit`.
    ///
    /// A rule of the job's own that matches first overrides them, for
    /// example `{action: RestartJob, onExitCodes: {operator: In, values: [20]}}`
    /// for an image whose exit code 20 means something else.
    public static let defaultRules: [FailurePolicyRule] = [
        .exitCodes(.failJob, .in, [Int(WorkerExitCode.invalidInput.rawValue)]),
        .reasons(.failJob, [.imagePullFailed]),
        .reasons(.restartJobAndIgnoreBackoffLimit, [.evicted, .preempted, .nodeLost, .deleted]),
    ]
}
