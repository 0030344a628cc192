import Metrics

/// The operator's own metrics (swift-metrics; exported by the manager's
/// `/metrics`):
///
/// - `ringmaster_trainingjobs_created_total{namespace}`: jobs accepted.
/// - `ringmaster_trainingjobs_succeeded_total{namespace}`
/// - `ringmaster_trainingjobs_failed_total{namespace}`
/// - `ringmaster_trainingjobs_restarted_total{namespace}`: gang restarts.
/// - `ringmaster_trainingjob_restarts{namespace}`: a histogram of the
///   restart count of each job when it finishes (Succeeded or Failed).
///
/// Counted when the status write that records the transition succeeded.
public struct TrainingJobMetrics: Sendable {
    public init() {}

    func record(_ transitions: Set<ReconcilePlan.Transition>, namespace: String, restartCount: Int) {
        let dimensions = [("namespace", namespace)]
        if transitions.contains(.created) {
            Counter(label: "ringmaster_trainingjobs_created_total", dimensions: dimensions).increment()
        }
        if transitions.contains(.restarted) {
            Counter(label: "ringmaster_trainingjobs_restarted_total", dimensions: dimensions).increment()
        }
        if transitions.contains(.succeeded) {
            Counter(label: "ringmaster_trainingjobs_succeeded_total", dimensions: dimensions).increment()
        }
        if transitions.contains(.failed) {
            Counter(label: "ringmaster_trainingjobs_failed_total", dimensions: dimensions).increment()
        }
        if transitions.contains(.succeeded) || transitions.contains(.failed) {
            Recorder(label: "ringmaster_trainingjob_restarts", dimensions: dimensions, aggregate: true).record(restartCount)
        }
    }
}
