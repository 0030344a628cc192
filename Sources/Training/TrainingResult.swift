/// The outcome of a finished run.
public struct TrainingResult: Sendable {
    public var model: MLP
    public var testAccuracy: Double
    public var testLoss: Double
    public var epochs: Int
    /// Optimizer steps done in total (including before a resume).
    public var steps: Int
    /// Wall time of this process's training loop (excluding data loading).
    public var trainingSeconds: Double
    /// Training samples per second (all ranks together) in this process's run.
    public var samplesPerSecond: Double
    public var worldSize: Int
    /// The step of the checkpoint this run resumed from, if any.
    public var resumedFromStep: Int?
    /// The last checkpoint saved (rank 0 only).
    public var lastCheckpoint: CheckpointRecord?
}
