import Collective
import Foundation
import Testing
@testable import Training

@Suite struct StepHoldTests {
    /// A held trainer stops after the step, forwards that step's events
    /// first, and finishes normally once the release file exists.
    @Test func holdsAfterTheStepUntilTheReleaseFileExists() async throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let release = directory + "/release"
        let recorder = RecordingObserver()
        let configuration = TrainingConfiguration(
            hiddenLayers: [8], epochs: 1, globalBatchSize: 32, learningRate: 0.01, optimizer: .sgd, momentum: 0.9, seed: 3)
        let data = DatasetSplit(train: fashionSubset.train.prefix(320), test: fashionSubset.test.prefix(50))
        let communicator = LocalCommunicator.group(worldSize: 1, timeout: .seconds(30))[0]
        let trainer = Trainer(
            configuration: configuration, data: data, communicator: communicator,
            observer: StepHold(step: 3, releaseFile: release, pollInterval: .milliseconds(10), next: recorder), logger: quietLogger)
        let run = Task { try await trainer.run() }

        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while await !recorder.progressSteps.contains(3) {
            try #require(clock.now < deadline, "step 3 never reported")
            try await Task.sleep(for: .milliseconds(10))
        }
        // Ten steps take a few milliseconds unheld: watch for a while that none comes.
        try await Task.sleep(for: .milliseconds(300))
        #expect(await recorder.progressSteps == [1, 2, 3])

        FileManager.default.createFile(atPath: release, contents: Data())
        let result = try await run.value
        #expect(result.steps == 10)
        #expect(await recorder.progressSteps == Array(1...10))
    }
}
