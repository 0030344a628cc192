/// How the learning rate moves over a run (`spec.hyperparameters.learningRateSchedule`).
public struct LearningRateSchedule: OpenEnumeration {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// `learningRate` at every step.
    public static let constant: LearningRateSchedule = "Constant"
    /// Cosine decay from `learningRate` at the first step to 0 after the last
    /// step of the last epoch. The position on the curve is the global step,
    /// so a run resumed from a checkpoint continues it where it stopped.
    public static let cosine: LearningRateSchedule = "Cosine"
    public static let knownValues: [LearningRateSchedule] = [.constant, .cosine]
}
