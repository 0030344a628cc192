import TrainingJobAPI

/// Test-only fault injection: `FAULT_EXIT_CODE=<1-255>` makes every rank
/// exit with that code at start, before it loads data or joins the ring,
/// with the termination message `fault injection: exit code <n>`, so that a
/// test can drive the operator's failure policy with any exit code. A value
/// that is not an integer in 1...255 exits with `invalidInput` instead.
/// Not `RINGMASTER_`-prefixed: those names are reserved, and this one comes
/// in through `spec.template.env`.
enum FaultExit {
    static let variable = "FAULT_EXIT_CODE"

    /// The exit the environment asks for; nil when `FAULT_EXIT_CODE` is unset.
    static func requested(_ environment: [String: String]) -> (code: Int32, message: String)? {
        guard let raw = environment[variable] else { return nil }
        guard let code = Int32(raw), (1...255).contains(code) else {
            return (WorkerExitCode.invalidInput.rawValue, "\(variable) must be an exit code in 1...255, got \"\(raw)\"")
        }
        return (code, "fault injection: exit code \(code)")
    }
}
