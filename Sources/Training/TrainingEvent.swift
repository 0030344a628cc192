import Foundation

/// Live training progress, as rank 0 reports it.
public struct TrainingProgress: Sendable, Hashable {
    /// The current epoch, 1-based.
    public var epoch: Int
    public var totalEpochs: Int
    /// Optimizer steps done since the start of training (including before a resume).
    public var step: Int
    /// The mean training loss over the global batches of this epoch so far.
    public var loss: Double
    /// The training accuracy over the global batches of this epoch so far.
    public var accuracy: Double
    /// Training samples per second (all ranks together) since this process started training.
    public var samplesPerSecond: Double
}

/// The test-set evaluation at the end of an epoch.
public struct EpochEvaluation: Sendable, Hashable {
    /// The epoch just finished, 1-based.
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var testLoss: Double
    public var testAccuracy: Double
}

/// Something a running `Trainer` tells its observer.
public enum TrainingEvent: Sendable {
    /// Training continues from a checkpoint (on ranks other than 0 the
    /// path is empty and the time is when the position was received).
    case resumed(CheckpointRecord)
    /// After every optimizer step.
    case progress(TrainingProgress)
    /// After rank 0 saved a checkpoint.
    case checkpointSaved(CheckpointRecord)
    /// After the test-set evaluation at the end of an epoch.
    case epochCompleted(EpochEvaluation)
}

/// Receives a trainer's events. Called from the training loop after each
/// step, so an implementation must return quickly (record the value, send
/// it elsewhere later) and must not throw: observing never stops training.
public protocol TrainingObserver: Sendable {
    func trainingEvent(_ event: TrainingEvent) async
}
