import Foundation

/// How the learning rate changes over a run.
public enum LearningRateScheduleKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// The configured learning rate at every step.
    case constant
    /// Cosine decay from the configured learning rate down to
    /// `LearningRateCurve.cosineFloorFraction` of it over all the run's
    /// steps, after an optional linear warm-up.
    case cosine
}

/// The learning rate of every optimizer step of a run, as a pure function of
/// the global step (the number of steps taken before it, counted from the
/// start of the run, across restarts). A run resumed from a checkpoint at
/// global step `s` therefore uses exactly the rates an uninterrupted run
/// would from `s` on.
public struct LearningRateCurve: Sendable, Hashable {
    /// The fraction of `baseRate` where the cosine decay ends.
    public static let cosineFloorFraction = 0.0

    public var kind: LearningRateScheduleKind
    /// The configured learning rate: the rate of a constant schedule, and the
    /// peak of a cosine one.
    public var baseRate: Double
    /// The number of optimizer steps of the whole run (epochs × steps per epoch).
    public var totalSteps: Int
    /// Steps of linear warm-up at the start of a cosine schedule: step `s`
    /// (0-based) uses `baseRate * (s + 1) / warmupSteps`. 0: none. Ignored by
    /// a constant schedule.
    public var warmupSteps: Int

    /// - Precondition: `totalSteps >= 1`, `0 <= warmupSteps`.
    public init(kind: LearningRateScheduleKind, baseRate: Double, totalSteps: Int, warmupSteps: Int = 0) {
        precondition(totalSteps >= 1, "a schedule needs at least one step, got \(totalSteps)")
        precondition(warmupSteps >= 0, "warm-up steps must not be negative, got \(warmupSteps)")
        self.kind = kind
        self.baseRate = baseRate
        self.totalSteps = totalSteps
        self.warmupSteps = warmupSteps
    }

    /// The learning rate of the step that follows `globalStep` completed
    /// steps (0 for the first step of the run). Steps past `totalSteps` keep
    /// the final rate.
    public func rate(atStep globalStep: Int) -> Double {
        switch kind {
        case .constant:
            return baseRate
        case .cosine:
            let step = max(0, globalStep)
            let warmup = min(warmupSteps, totalSteps)
            if step < warmup { return baseRate * Double(step + 1) / Double(warmup) }
            let decaySteps = totalSteps - warmup
            guard decaySteps > 0 else { return baseRate }
            let progress = min(1, Double(step - warmup) / Double(decaySteps))
            let floor = baseRate * Self.cosineFloorFraction
            return floor + (baseRate - floor) * 0.5 * (1 + cos(Double.pi * progress))
        }
    }
}
