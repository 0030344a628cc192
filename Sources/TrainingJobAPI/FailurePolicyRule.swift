/// One rule of `spec.runPolicy.failurePolicy.rules`: when a worker failure
/// matches it, `action` decides what happens to the whole job.
///
/// A rule has exactly one matcher: `onExitCodes` (the exit code of a
/// terminated container of a failed worker Pod) or `onReasons` (why the Pod
/// stopped, see `PodFailureReason`). `TrainingJob.validate()` rejects a rule
/// with both or neither.
public struct FailurePolicyRule: Codable, Sendable, Hashable {
    /// Compares the exit codes of a failed worker's containers with a set.
    public struct ExitCodes: Codable, Sendable, Hashable {
        /// Only this container's exit code is compared; nil compares every
        /// container of the Pod (init and sidecar containers excepted).
        public var containerName: String?
        public var `operator`: ExitCodeOperator
        /// Non-empty, without duplicates; 0 is not allowed with `In`.
        public var values: [Int]

        public init(containerName: String? = nil, operator: ExitCodeOperator, values: [Int]) {
            self.containerName = containerName
            self.operator = `operator`
            self.values = values
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case containerName, `operator`, values
        }
    }

    public var action: FailurePolicyAction
    public var onExitCodes: ExitCodes?
    /// Matches when the failure has any of these reasons.
    public var onReasons: [PodFailureReason]?

    public init(action: FailurePolicyAction, onExitCodes: ExitCodes? = nil, onReasons: [PodFailureReason]? = nil) {
        self.action = action
        self.onExitCodes = onExitCodes
        self.onReasons = onReasons
    }

    /// A rule on exit codes.
    public static func exitCodes(
        _ action: FailurePolicyAction, _ op: ExitCodeOperator, _ values: [Int], containerName: String? = nil
    ) -> FailurePolicyRule {
        FailurePolicyRule(action: action, onExitCodes: ExitCodes(containerName: containerName, operator: op, values: values))
    }

    /// A rule on reasons.
    public static func reasons(_ action: FailurePolicyAction, _ reasons: [PodFailureReason]) -> FailurePolicyRule {
        FailurePolicyRule(action: action, onReasons: reasons)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case action, onExitCodes, onReasons
    }
}
