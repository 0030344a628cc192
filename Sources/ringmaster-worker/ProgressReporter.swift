import Foundation
import KubeClient
import Training
import TrainingJobAPI

/// What a worker tells the TrainingJob's status: rank 0 its progress,
/// checkpoints and final metrics, every rank its heartbeat. Every field is
/// optional: a report carries only what is known, and a JSON merge patch
/// leaves the rest.
struct WorkerStatusReport: Sendable, Equatable {
    /// `status.progress`, with `lastUpdateTime` set to when it was measured.
    var progress: TrainingJobAPI.TrainingProgress?
    var checkpoint: CheckpointStatus?
    var metrics: TrainingMetrics?
    var artifact: ArtifactStatus?
    /// This rank's heartbeat, for `status.ranks["<rank>"]`.
    var heartbeat: Heartbeat?

    struct Heartbeat: Sendable, Equatable {
        var rank: Int
        var attempt: Int
        var step: Int?
        var time: Date
        var activity: RankActivity
        var activitySince: Date
    }

    /// The report of a trainer's progress as measured at `time`.
    static func progress(_ progress: Training.TrainingProgress, at time: Date) -> TrainingJobAPI.TrainingProgress {
        TrainingJobAPI.TrainingProgress(
            epoch: progress.epoch, totalEpochs: progress.totalEpochs, step: progress.step, loss: progress.loss,
            accuracy: progress.accuracy, samplesPerSecond: progress.samplesPerSecond,
            lastUpdateTime: RFC3339.format(time))
    }

    static func checkpoint(_ record: CheckpointRecord) -> CheckpointStatus {
        CheckpointStatus(step: record.globalStep, path: record.path, time: RFC3339.format(record.time))
    }
}

/// Where a worker's reports go. The seam between training and the
/// Kubernetes API: `TrainingJobStatusReporter` patches the job's status.
protocol ProgressReporter: Sendable {
    /// Sends one report; throws when it could not be delivered.
    func report(_ report: WorkerStatusReport) async throws
}
