import Foundation
import KubeClient
import Metrics
import TrainingJobAPI

/// The operator's counters and histograms of job outcomes (swift-metrics;
/// exported by the manager's `/metrics`), labelled by namespace only:
///
/// - `ringmaster_trainingjobs_created_total{namespace}`: jobs accepted.
/// - `ringmaster_trainingjobs_succeeded_total{namespace}`
/// - `ringmaster_trainingjobs_failed_total{namespace}`
/// - `ringmaster_trainingjobs_restarted_total{namespace}`: gang restarts.
/// - `ringmaster_trainingjob_restarts_at_completion{namespace}`: a histogram of the
///   restart count of each job when it finishes (Succeeded or Failed).
/// - `ringmaster_trainingjob_time_to_running_seconds{namespace}`: a histogram
///   of the seconds from a job's creation to its first `Running`.
/// - `ringmaster_trainingjob_time_to_completion_seconds{namespace,phase}`: a
///   histogram of the seconds from a job's creation to its completion, by
///   the phase it ended in (`Succeeded` or `Failed`).
///
/// Counted when the status write that records the transition succeeded.
/// The four counters of a namespace start at zero together when its first
/// job is accepted, so `increase()` sees the first failure too. The per-job
/// series are `TrainingJobStatusMetrics`.
public struct TrainingJobMetrics: Sendable {
    public init() {}

    public static let timeToRunning = "ringmaster_trainingjob_time_to_running_seconds"
    public static let timeToCompletion = "ringmaster_trainingjob_time_to_completion_seconds"
    public static let restartsAtCompletion = "ringmaster_trainingjob_restarts_at_completion"

    /// What each series means, for `Manager.describeMetrics`.
    public static let help: [String: String] = [
        "ringmaster_trainingjobs_created_total": "TrainingJobs accepted, by namespace.",
        "ringmaster_trainingjobs_succeeded_total": "TrainingJobs that Succeeded, by namespace.",
        "ringmaster_trainingjobs_failed_total": "TrainingJobs that Failed, by namespace.",
        "ringmaster_trainingjobs_restarted_total": "Gang restarts of TrainingJobs, by namespace.",
        restartsAtCompletion: "Gang restarts each TrainingJob took, counted when it finished, by namespace.",
        timeToRunning: "Seconds from a TrainingJob's creation to its first Running, by namespace.",
        timeToCompletion: "Seconds from a TrainingJob's creation to Succeeded or Failed, by namespace and phase.",
    ]

    /// Buckets of the duration histograms, for `PrometheusMetricsFactory.durationHistogramBuckets`:
    /// scheduling takes seconds, training minutes to days.
    public static let durationHistogramBuckets: [String: [Duration]] = [
        timeToRunning: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600].map { .seconds($0) },
        timeToCompletion: [30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800, 86400, 259200].map { .seconds($0) },
    ]

    /// Buckets of the value histograms, for `PrometheusMetricsFactory.valueHistogramBuckets`.
    public static let valueHistogramBuckets: [String: [Double]] = [
        restartsAtCompletion: [0, 1, 2, 3, 5, 10, 20, 50],
    ]

    /// Records what the status write of one reconcile recorded.
    ///
    /// - Parameters:
    ///   - job: the job as read before the write (its old status).
    ///   - status: the status just written.
    func record(_ transitions: Set<ReconcilePlan.Transition>, job: TrainingJob, status: TrainingJobStatus, now: Date) {
        let namespace = job.metadata.namespace ?? ""
        let dimensions = [("namespace", namespace)]
        func counter(_ label: String) -> Counter { Counter(label: label, dimensions: dimensions) }
        if transitions.contains(.created) {
            counter("ringmaster_trainingjobs_created_total").increment()
            for label in ["ringmaster_trainingjobs_succeeded_total", "ringmaster_trainingjobs_failed_total",
                          "ringmaster_trainingjobs_restarted_total"] {
                counter(label).increment(by: 0)
            }
        }
        if transitions.contains(.restarted) {
            counter("ringmaster_trainingjobs_restarted_total").increment()
        }
        if transitions.contains(.succeeded) {
            counter("ringmaster_trainingjobs_succeeded_total").increment()
        }
        if transitions.contains(.failed) {
            counter("ringmaster_trainingjobs_failed_total").increment()
        }
        let created = job.metadata.creationTimestamp.flatMap(RFC3339.parse)
        // The first Running only: restarts and resumes reach Running again with the condition already present.
        if transitions.contains(.started), job.status?.condition(.running) == nil, let created {
            Metrics.Timer(label: Self.timeToRunning, dimensions: dimensions)
                .recordSeconds(max(0, now.timeIntervalSince(created)))
        }
        for (transition, phase) in [(ReconcilePlan.Transition.succeeded, TrainingJobPhase.succeeded), (.failed, .failed)]
        where transitions.contains(transition) {
            Recorder(label: Self.restartsAtCompletion, dimensions: dimensions, aggregate: true).record(status.restartCount ?? 0)
            if let created {
                let completed = status.completionTime.flatMap(RFC3339.parse) ?? now
                Metrics.Timer(label: Self.timeToCompletion, dimensions: dimensions + [("phase", phase.rawValue)])
                    .recordSeconds(max(0, completed.timeIntervalSince(created)))
            }
        }
    }
}
