import KubeClient
import TrainingJobAPI

/// The JSON merge patch of the fields of `status` the operator owns.
///
/// Rank 0 of the workers writes `progress`, `checkpoint`, `metrics` and
/// `artifact`, and every worker its own entry of `ranks`; the operator
/// writes everything else and never touches `ranks` (entries of an older
/// restart attempt stay until that rank's next worker overwrites them, and
/// are ignored). The patch names only the operator's fields that changed
/// (removed ones as `null`), so a concurrent worker report is never
/// overwritten.
public enum StatusPatch {
    /// The members of `status` the operator owns.
    public static let operatorFields = [
        "phase", "conditions", "message", "workers", "workersReady", "restartCount", "disruptions",
        "startTime", "completionTime", "observedGeneration", "failure",
    ]

    /// `{"metadata":{"resourceVersion":...},"status":{changed fields}}`, or nil
    /// when no operator field differs. `resourceVersion` makes the write
    /// conditional on the state it was computed from.
    public static func make(
        from old: TrainingJobStatus?, to new: TrainingJobStatus, resourceVersion: String?
    ) throws -> JSONValue? {
        let before = try JSONValue(encoding: old ?? TrainingJobStatus()).objectValue ?? [:]
        let after = try JSONValue(encoding: new).objectValue ?? [:]
        var changed: [String: JSONValue] = [:]
        for field in operatorFields where before[field] != after[field] {
            changed[field] = after[field] ?? .null
        }
        guard !changed.isEmpty else { return nil }
        var patch: JSONValue = ["status": .object(changed)]
        if let resourceVersion { patch["metadata"] = ["resourceVersion": .string(resourceVersion)] }
        return patch
    }
}
