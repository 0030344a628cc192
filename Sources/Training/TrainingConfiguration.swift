/// The hyperparameters of one training run.
public struct TrainingConfiguration: Sendable, Hashable, Codable {
    public var hiddenLayers: [Int]
    public var epochs: Int
    /// The global batch size, split evenly over the ranks.
    public var globalBatchSize: Int
    /// The peak learning rate (the rate of every step for `.constant`).
    public var learningRate: Double
    /// How the learning rate moves over the run's global steps.
    public var learningRateSchedule: LearningRateScheduleKind
    /// Linear warm-up steps at the start of a `.cosine` schedule (0: none).
    public var warmupSteps: Int
    public var optimizer: OptimizerKind
    /// SGD's momentum (ignored by Adam).
    public var momentum: Double
    public var seed: UInt64
    /// Save a checkpoint every this many steps (0: only at the end of each epoch).
    public var checkpointEverySteps: Int

    public init(
        hiddenLayers: [Int], epochs: Int, globalBatchSize: Int, learningRate: Double,
        optimizer: OptimizerKind, momentum: Double = 0.9, seed: UInt64 = 0, checkpointEverySteps: Int = 0,
        learningRateSchedule: LearningRateScheduleKind = .constant, warmupSteps: Int = 0
    ) {
        self.hiddenLayers = hiddenLayers
        self.epochs = epochs
        self.globalBatchSize = globalBatchSize
        self.learningRate = learningRate
        self.learningRateSchedule = learningRateSchedule
        self.warmupSteps = warmupSteps
        self.optimizer = optimizer
        self.momentum = momentum
        self.seed = seed
        self.checkpointEverySteps = checkpointEverySteps
    }

    /// Checks the hyperparameters against a world of `worldSize` ranks and a
    /// training set of `trainCount` samples; throws every problem at once.
    public func validate(worldSize: Int, trainCount: Int) throws(TrainingConfigurationError) {
        var problems: [String] = []
        if hiddenLayers.contains(where: { $0 <= 0 }) {
            problems.append("hidden layer widths must be positive, got \(hiddenLayers)")
        }
        if hiddenLayers.contains(where: { $0 > 65_536 }) {
            problems.append("hidden layer widths must be at most 65536, got \(hiddenLayers)")
        }
        if epochs < 1 { problems.append("epochs must be at least 1, got \(epochs)") }
        if globalBatchSize < 1 {
            problems.append("the batch size must be at least 1, got \(globalBatchSize)")
        } else if globalBatchSize % worldSize != 0 {
            problems.append("the batch size \(globalBatchSize) must be a multiple of the number of workers (\(worldSize))")
        } else if trainCount < globalBatchSize {
            problems.append("the training set has \(trainCount) samples, fewer than one batch of \(globalBatchSize)")
        }
        if !(learningRate > 0 && learningRate.isFinite) { problems.append("the learning rate must be positive, got \(learningRate)") }
        if !(momentum >= 0 && momentum < 1) { problems.append("momentum must be in [0, 1), got \(momentum)") }
        if warmupSteps < 0 { problems.append("warm-up steps must not be negative, got \(warmupSteps)") }
        if checkpointEverySteps < 0 { problems.append("checkpoint interval must not be negative, got \(checkpointEverySteps)") }
        if !problems.isEmpty { throw TrainingConfigurationError(problems: problems) }
    }

    /// The number of optimizer steps in one epoch of `trainCount` samples.
    public func stepsPerEpoch(trainCount: Int) -> Int { trainCount / globalBatchSize }

    /// The learning rate of every step of a run over `trainCount` samples.
    /// - Precondition: the configuration is valid for that count.
    public func learningRateCurve(trainCount: Int) -> LearningRateCurve {
        LearningRateCurve(
            kind: learningRateSchedule, baseRate: learningRate,
            totalSteps: max(1, epochs * stepsPerEpoch(trainCount: trainCount)), warmupSteps: max(0, warmupSteps))
    }
}

/// Invalid hyperparameters; bad input that retrying cannot fix.
public struct TrainingConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { "invalid hyperparameters: " + problems.joined(separator: "; ") }
}
