import Foundation
import Training
import TrainingJobAPI

/// What a worker tells the TrainingJob's status: rank 0 its progress,
/// checkpoints and final metrics, every rank its heartbeat. Every field is
/// optional: a report carries only what is known, and a JSON merge patch
/// leaves the rest.
struct WorkerStatusReport: Sendable, Equatable {
    var progress: Training.TrainingProgress?
    /// When `progress` was measured.
    var progressTime: Date?
    var checkpoint: CheckpointRecord?
    var final: FinalMetrics?
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

    struct FinalMetrics: Sendable, Equatable {
        var testAccuracy: Double
        var testLoss: Double
        var trainingSeconds: Double
        var samplesPerSecond: Double
        var artifactPath: String?
    }
}

/// Where a worker's reports go. The seam between training and the
/// Kubernetes API: `TrainingJobStatusReporter` patches the job's status.
protocol ProgressReporter: Sendable {
    /// Sends one report; throws when it could not be delivered.
    func report(_ report: WorkerStatusReport) async throws
}
