import Foundation
import Training

/// What rank 0 tells the TrainingJob's status. Every field is optional: a
/// report carries only what is known, and a JSON merge patch leaves the rest.
struct WorkerStatusReport: Sendable, Equatable {
    var progress: Training.TrainingProgress?
    /// When `progress` was measured.
    var progressTime: Date?
    var checkpoint: CheckpointRecord?
    var final: FinalMetrics?

    struct FinalMetrics: Sendable, Equatable {
        var testAccuracy: Double
        var testLoss: Double
        var trainingSeconds: Double
        var samplesPerSecond: Double
        var artifactPath: String?
    }
}

/// Where rank 0's progress goes. The seam between training and the
/// Kubernetes API: `TrainingJobStatusReporter` patches the job's status.
protocol ProgressReporter: Sendable {
    /// Sends one report; throws when it could not be delivered.
    func report(_ report: WorkerStatusReport) async throws
}
