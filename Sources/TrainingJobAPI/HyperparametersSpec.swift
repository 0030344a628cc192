/// `spec.hyperparameters`: how the model is trained.
public struct HyperparametersSpec: Codable, Sendable, Hashable {
    /// Passes over the training set.
    public var epochs: Int
    /// The global batch size: every optimizer step sees this many samples,
    /// `batchSize / workers` on each worker.
    public var batchSize: Int
    /// The step size; the peak of a `Cosine` schedule.
    public var learningRate: Double
    /// How the learning rate moves over the run's steps.
    public var learningRateSchedule: LearningRateSchedule
    public var optimizer: Optimizer
    /// Momentum of `sgd`; ignored by `adam`.
    public var momentum: Double
    /// Seeds weight initialisation and shuffling; the same seed and worker
    /// count give the same run.
    public var seed: Int
    /// A checkpoint is written every this many optimizer steps and at the end
    /// of every epoch; 0 writes one only at the end of every epoch.
    public var checkpointEverySteps: Int

    public init(
        epochs: Int = TrainingJobDefaults.epochs,
        batchSize: Int = TrainingJobDefaults.batchSize,
        learningRate: Double = TrainingJobDefaults.learningRate,
        optimizer: Optimizer = TrainingJobDefaults.optimizer,
        momentum: Double = TrainingJobDefaults.momentum,
        seed: Int = TrainingJobDefaults.seed,
        checkpointEverySteps: Int = TrainingJobDefaults.checkpointEverySteps,
        learningRateSchedule: LearningRateSchedule = TrainingJobDefaults.learningRateSchedule
    ) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.learningRateSchedule = learningRateSchedule
        self.optimizer = optimizer
        self.momentum = momentum
        self.seed = seed
        self.checkpointEverySteps = checkpointEverySteps
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case epochs, batchSize, learningRate, learningRateSchedule, optimizer, momentum, seed, checkpointEverySteps
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? TrainingJobDefaults.epochs
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? TrainingJobDefaults.batchSize
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? TrainingJobDefaults.learningRate
        learningRateSchedule = try c.decodeIfPresent(LearningRateSchedule.self, forKey: .learningRateSchedule)
            ?? TrainingJobDefaults.learningRateSchedule
        optimizer = try c.decodeIfPresent(Optimizer.self, forKey: .optimizer) ?? TrainingJobDefaults.optimizer
        momentum = try c.decodeIfPresent(Double.self, forKey: .momentum) ?? TrainingJobDefaults.momentum
        seed = try c.decodeIfPresent(Int.self, forKey: .seed) ?? TrainingJobDefaults.seed
        checkpointEverySteps = try c.decodeIfPresent(Int.self, forKey: .checkpointEverySteps)
            ?? TrainingJobDefaults.checkpointEverySteps
    }
}
