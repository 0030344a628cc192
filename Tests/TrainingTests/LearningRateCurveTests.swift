import Foundation
import Testing
@testable import Training

@Suite struct LearningRateCurveTests {
    @Test(arguments: [0, 1, 499, 999, 5_000])
    func constantKeepsTheBaseRateAtEveryStep(step: Int) {
        let curve = LearningRateCurve(kind: .constant, baseRate: 0.002, totalSteps: 1_000, warmupSteps: 50)
        #expect(curve.rate(atStep: step) == 0.002)
    }

    @Test func cosineStartsAtTheBaseRateHalvesAtTheMiddleAndEndsNearZero() {
        let curve = LearningRateCurve(kind: .cosine, baseRate: 0.002, totalSteps: 1_000)
        #expect(curve.rate(atStep: 0) == 0.002)
        #expect(abs(curve.rate(atStep: 500) - 0.001) < 1e-15)
        // A quarter of the way: (1 + cos(pi/4)) / 2 of the peak.
        #expect(abs(curve.rate(atStep: 250) - 0.002 * (1 + 0.5.squareRoot()) / 2) < 1e-15)
        // The last step still moves (0 is reached only after it).
        let last = curve.rate(atStep: 999)
        #expect(last > 0 && last < 0.002 * 1e-5, "\(last)")
        #expect(curve.rate(atStep: 1_000) == 0)
        #expect(curve.rate(atStep: 2_000) == 0)
    }

    @Test func cosineNeverIncreasesAfterTheWarmUp() {
        let curve = LearningRateCurve(kind: .cosine, baseRate: 0.01, totalSteps: 300, warmupSteps: 20)
        let rates = (20..<300).map { curve.rate(atStep: $0) }
        #expect(zip(rates, rates.dropFirst()).allSatisfy { $0 >= $1 })
        #expect(rates.first == 0.01)
    }

    @Test func warmUpRisesLinearlyToTheBaseRate() {
        let curve = LearningRateCurve(kind: .cosine, baseRate: 0.004, totalSteps: 100, warmupSteps: 4)
        #expect(curve.rate(atStep: 0) == 0.001)
        #expect(curve.rate(atStep: 1) == 0.002)
        #expect(curve.rate(atStep: 3) == 0.004)
        // The decay covers the 96 steps after the warm-up: its middle is step 4 + 48.
        #expect(abs(curve.rate(atStep: 52) - 0.002) < 1e-15)
    }

    @Test func aRunOfOneStepUsesTheBaseRate() {
        #expect(LearningRateCurve(kind: .cosine, baseRate: 0.5, totalSteps: 1).rate(atStep: 0) == 0.5)
        #expect(LearningRateCurve(kind: .cosine, baseRate: 0.5, totalSteps: 1, warmupSteps: 1).rate(atStep: 0) == 0.5)
    }

    @Test func theConfigurationCoversEveryStepOfEveryEpoch() {
        let configuration = TrainingConfiguration(
            hiddenLayers: [8], epochs: 3, globalBatchSize: 32, learningRate: 0.01, optimizer: .adam,
            learningRateSchedule: .cosine, warmupSteps: 2)
        let curve = configuration.learningRateCurve(trainCount: 1_000)
        #expect(curve == LearningRateCurve(kind: .cosine, baseRate: 0.01, totalSteps: 3 * 31, warmupSteps: 2))
    }
}
