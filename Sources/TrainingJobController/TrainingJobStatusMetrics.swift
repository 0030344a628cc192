import ControllerRuntime
import Foundation
import KubeClient
import TrainingJobAPI

/// Per-job series, written on each scrape from the jobs in the informer
/// cache: the status the operator already reads, nothing kept beside it. A
/// deleted job leaves the cache and its series go with it. Labels are the
/// job's `namespace` and name (`trainingjob`), plus `phase` on the phase
/// series: no Pod or rank labels, so a job has a fixed number of series.
///
/// | series | from |
/// | --- | --- |
/// | `ringmaster_trainingjob_status_phase{phase}` | 1 for `status.phase` (`Pending` when unset), 0 for the other five |
/// | `ringmaster_trainingjob_restarts_total` | `status.restartCount` |
/// | `ringmaster_trainingjob_workers_ready`, `_workers_desired` | `status.workers.ready`, `spec.workers` |
/// | `ringmaster_trainingjob_epoch`, `_epochs` | `status.progress.epoch`, `totalEpochs` (else `spec.hyperparameters.epochs`) |
/// | `ringmaster_trainingjob_step` | `status.progress.step` |
/// | `ringmaster_trainingjob_training_loss`, `_training_accuracy_ratio` | `status.progress.loss`, `accuracy` |
/// | `ringmaster_trainingjob_samples_per_second` | `status.progress.samplesPerSecond` |
/// | `ringmaster_trainingjob_last_progress_timestamp_seconds` | `status.progress.lastUpdateTime` |
/// | `ringmaster_trainingjob_progress_age_seconds` | seconds since `lastUpdateTime`, while `Running` only |
/// | `ringmaster_trainingjob_test_accuracy_ratio` | `status.metrics.testAccuracy` |
///
/// A series whose status field is unset is left out, never written as 0.
public struct TrainingJobStatusMetrics: MetricsCollector {
    public let jobs: ObjectStore<TrainingJob>
    public let clock: any RuntimeClock

    public init(jobs: ObjectStore<TrainingJob>, clock: any RuntimeClock = SystemClock()) {
        self.jobs = jobs
        self.clock = clock
    }

    /// Every family this collector writes, with its type and help, in the order written.
    public static let families: [(name: String, type: PrometheusTextWriter.MetricType, help: String)] = [
        ("ringmaster_trainingjob_status_phase", .gauge, "The job's phase: 1 for status.phase, 0 for the others."),
        ("ringmaster_trainingjob_restarts_total", .counter, "Gang restarts of the job so far (status.restartCount)."),
        ("ringmaster_trainingjob_workers_ready", .gauge, "Worker Pods running and ready (status.workers.ready)."),
        ("ringmaster_trainingjob_workers_desired", .gauge, "Worker Pods the job asks for (spec.workers)."),
        ("ringmaster_trainingjob_epoch", .gauge, "The epoch in progress, from 1 (status.progress.epoch)."),
        ("ringmaster_trainingjob_epochs", .gauge, "The epochs the job trains for."),
        ("ringmaster_trainingjob_step", .gauge, "Optimizer steps taken, across restarts (status.progress.step)."),
        ("ringmaster_trainingjob_training_loss", .gauge, "Mean training loss over the recent steps (status.progress.loss)."),
        ("ringmaster_trainingjob_training_accuracy_ratio", .gauge, "Training accuracy over the recent steps, 0 to 1 (status.progress.accuracy)."),
        ("ringmaster_trainingjob_samples_per_second", .gauge, "Training samples per second over all workers (status.progress.samplesPerSecond)."),
        ("ringmaster_trainingjob_last_progress_timestamp_seconds", .gauge, "Unix time of the last progress report (status.progress.lastUpdateTime)."),
        ("ringmaster_trainingjob_progress_age_seconds", .gauge, "Seconds since the last progress report, while the job is Running."),
        ("ringmaster_trainingjob_test_accuracy_ratio", .gauge, "Final accuracy on the test set, 0 to 1 (status.metrics.testAccuracy)."),
    ]

    public func collect(into writer: inout PrometheusTextWriter) {
        let now = clock.wallClock()
        // In key order (namespace, then name), so scrapes read alike.
        let snapshots = jobs.list().map { Snapshot(job: $0, now: now) }
        for (index, family) in Self.families.enumerated() {
            writer.family(family.name, family.type, help: family.help)
            for snapshot in snapshots {
                if index == 0 {
                    for phase in TrainingJobPhase.knownValues {
                        writer.sample(family.name, ["namespace": snapshot.namespace, "trainingjob": snapshot.name, "phase": phase.rawValue],
                                      phase == snapshot.phase ? 1 : 0)
                    }
                } else if let value = snapshot.values[index - 1] {
                    writer.sample(family.name, ["namespace": snapshot.namespace, "trainingjob": snapshot.name], value)
                }
            }
        }
    }

    /// One job's values, in the order of `families` after the phase.
    struct Snapshot {
        var namespace: String
        var name: String
        var phase: TrainingJobPhase
        var values: [Double?]

        init(job: TrainingJob, now: Date) {
            namespace = job.metadata.namespace ?? ""
            name = job.metadata.name ?? ""
            let status = job.status
            let phase = status?.phase ?? .pending
            self.phase = phase
            let progress = status?.progress
            let lastUpdate = progress?.lastUpdateTime.flatMap(RFC3339.parse)
            func finite(_ value: Double?) -> Double? { value.flatMap { $0.isFinite ? $0 : nil } }
            values = [
                Double(status?.restartCount ?? 0),
                Double(status?.workers?.ready ?? 0),
                Double(job.spec.workers),
                progress?.epoch.map(Double.init),
                Double(progress?.totalEpochs ?? job.spec.hyperparameters.epochs),
                progress?.step.map(Double.init),
                finite(progress?.loss),
                finite(progress?.accuracy),
                finite(progress?.samplesPerSecond),
                lastUpdate.map { $0.timeIntervalSince1970 },
                phase == .running ? lastUpdate.map { max(0, now.timeIntervalSince($0)) } : nil,
                finite(status?.metrics?.testAccuracy),
            ]
        }
    }
}
