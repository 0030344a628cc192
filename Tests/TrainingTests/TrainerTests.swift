import Collective
import Foundation
import Testing
@testable import Training

/// Records what a trainer reports.
actor RecordingObserver: TrainingObserver {
    private(set) var events: [TrainingEvent] = []
    func trainingEvent(_ event: TrainingEvent) async { events.append(event) }

    var progressSteps: [Int] {
        events.compactMap { if case .progress(let progress) = $0 { progress.step } else { nil } }
    }
    var checkpointSteps: [Int] {
        events.compactMap { if case .checkpointSaved(let record) = $0 { record.globalStep } else { nil } }
    }
    var resumedFrom: Int? {
        events.lazy.compactMap { if case .resumed(let record) = $0 { record.globalStep } else { nil } }.first
    }
}

@Suite struct TrainerTests {
    private static let smallData = DatasetSplit(train: fashionSubset.train.prefix(512), test: fashionSubset.test.prefix(100))

    /// Runs `worldSize` ranks in this process over `LocalCommunicator` and returns every rank's result.
    private func train(
        worldSize: Int, configuration: TrainingConfiguration, data: DatasetSplit = smallData,
        store: CheckpointStore? = nil, observer: RecordingObserver? = nil
    ) async throws -> [TrainingResult] {
        let communicators = LocalCommunicator.group(worldSize: worldSize, timeout: .seconds(30))
        return try await withThrowingTaskGroup(of: (Int, TrainingResult).self) { group in
            for communicator in communicators {
                group.addTask {
                    let trainer = Trainer(
                        configuration: configuration, data: data, communicator: communicator,
                        checkpointStore: store, observer: communicator.rank == 0 ? observer : nil, logger: quietLogger)
                    return (communicator.rank, try await trainer.run())
                }
            }
            var results: [(Int, TrainingResult)] = []
            for try await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    @Test(arguments: [OptimizerKind.sgd, .adam])
    func oneAndTwoWorkersAgreeAtTheSameGlobalBatch(optimizer: OptimizerKind) async throws {
        let configuration = TrainingConfiguration(
            hiddenLayers: [32, 16], epochs: 1, globalBatchSize: 32,
            learningRate: optimizer == .sgd ? 0.05 : 0.002, optimizer: optimizer, momentum: 0.9, seed: 21)
        let single = try await train(worldSize: 1, configuration: configuration)
        let pair = try await train(worldSize: 2, configuration: configuration)
        #expect(single[0].steps == 16 && pair[0].steps == 16)
        // Both ranks hold bitwise identical parameters (the all-reduce result is identical on every rank).
        #expect(pair[0].model.parameters == pair[1].model.parameters)
        let difference = maximumDifference(single[0].model.parameters, pair[0].model.parameters)
        #expect(difference < 1e-4, "largest parameter difference \(difference)")
        // Training moved the parameters far more than that tolerance.
        let initial = MLP(architecture: single[0].model.architecture, seed: 21)
        #expect(maximumDifference(initial.parameters, single[0].model.parameters) > 1e-2)
        #expect(abs(single[0].testAccuracy - pair[0].testAccuracy) <= 0.02)
        #expect(pair[0].testAccuracy == pair[1].testAccuracy)
    }

    @Test func trainsFashionMNISTWellAboveChance() async throws {
        let configuration = TrainingConfiguration(
            hiddenLayers: [64], epochs: 2, globalBatchSize: 32, learningRate: 0.05, optimizer: .sgd, momentum: 0.9, seed: 1)
        let observer = RecordingObserver()
        let results = try await train(worldSize: 2, configuration: configuration, data: fashionSubset, observer: observer)
        // 10 classes: chance is 10%. A 64-unit MLP on 2,000 samples for 2
        // epochs reaches about 78-80%; 70% leaves room for platform noise.
        #expect(results[0].testAccuracy > 0.70, "test accuracy \(results[0].testAccuracy)")
        #expect(results[0].testLoss < 1.0)
        #expect(results[0].steps == 2 * (2_000 / 32))
        #expect(results[0].samplesPerSecond > 0)
        let steps = await observer.progressSteps
        #expect(steps == Array(1...(2 * (2_000 / 32))))
    }

    @Test(arguments: [LearningRateScheduleKind.constant, .cosine])
    func resumeFromAMidEpochCheckpointMatchesAnUninterruptedRun(schedule: LearningRateScheduleKind) async throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let configuration = TrainingConfiguration(
            hiddenLayers: [16], epochs: 2, globalBatchSize: 32, learningRate: 0.01, optimizer: .adam, seed: 4,
            checkpointEverySteps: 5, learningRateSchedule: schedule, warmupSteps: schedule == .cosine ? 3 : 0)
        let store = CheckpointStore(directory: directory, keep: 50)
        let observer = RecordingObserver()
        let uninterrupted = try await train(worldSize: 2, configuration: configuration, store: store, observer: observer)[0]
        // 16 steps per epoch: every 5 steps mid-epoch, and each epoch end.
        #expect(await observer.checkpointSteps == [5, 10, 15, 16, 20, 25, 30, 32])
        #expect(uninterrupted.resumedFromStep == nil)

        // A crash right after step 20: later checkpoints never happened. Also
        // leave a damaged newer file behind, which must be skipped.
        for (step, path) in store.checkpointFiles() where step > 20 { try FileManager.default.removeItem(atPath: path) }
        try write(Array(repeating: 0xAB, count: 100), to: store.path(globalStep: 31))
        let resumedObserver = RecordingObserver()
        let resumed = try await train(worldSize: 2, configuration: configuration, store: store, observer: resumedObserver)
        #expect(resumed[0].resumedFromStep == 20)
        #expect(resumed[1].resumedFromStep == 20)
        #expect(await resumedObserver.resumedFrom == 20)
        #expect(await resumedObserver.progressSteps == Array(21...32))
        #expect(resumed[0].steps == 32)
        #expect(resumed[0].model.parameters == uninterrupted.model.parameters)
        #expect(resumed[1].model.parameters == uninterrupted.model.parameters)
        #expect(resumed[0].testAccuracy == uninterrupted.testAccuracy)
    }

    @Test(arguments: [OptimizerKind.sgd, .adam])
    func theCosineScheduleChangesTheRunAndStaysDeterministic(optimizer: OptimizerKind) async throws {
        func configuration(_ schedule: LearningRateScheduleKind) -> TrainingConfiguration {
            TrainingConfiguration(
                hiddenLayers: [16], epochs: 1, globalBatchSize: 32, learningRate: optimizer == .sgd ? 0.05 : 0.01,
                optimizer: optimizer, seed: 8, learningRateSchedule: schedule)
        }
        let constant = try await train(worldSize: 2, configuration: configuration(.constant))[0]
        let cosine = try await train(worldSize: 2, configuration: configuration(.cosine))[0]
        let again = try await train(worldSize: 2, configuration: configuration(.cosine))[0]
        #expect(cosine.model.parameters == again.model.parameters)
        // The first step is the same (the cosine starts at the base rate); the later, smaller steps are not.
        #expect(maximumDifference(constant.model.parameters, cosine.model.parameters) > 1e-4)
    }

    @Test func rankZeroRemovesPartialFilesOfInterruptedWritesBeforeResuming() async throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let configuration = TrainingConfiguration(
            hiddenLayers: [8], epochs: 1, globalBatchSize: 64, learningRate: 0.05, optimizer: .sgd, seed: 2, checkpointEverySteps: 3)
        let store = CheckpointStore(directory: directory, keep: 10)
        let first = try await train(worldSize: 2, configuration: configuration, store: store)[0]
        // What a writer killed half-way through the save of step 7 leaves: the
        // temporary file under the name AtomicFile uses, with another process id.
        let partial = directory + "/.checkpoint-0000000007.rmckpt.\(getpid() &+ 1).tmp"
        try write(Array(repeating: 0x5A, count: 300), to: partial)
        let unrelated = directory + "/.write-paused-0000000007"
        try write([0x31], to: unrelated)
        #expect(store.temporaryFiles() == [partial])
        let again = try await train(worldSize: 2, configuration: configuration, store: store)[0]
        #expect(again.resumedFromStep == first.steps)
        #expect(!FileManager.default.fileExists(atPath: partial))
        #expect(FileManager.default.fileExists(atPath: unrelated))
        #expect(store.checkpointFiles().map(\.step) == [8, 6, 3])
    }

    @Test func resumeAfterTheLastEpochOnlyEvaluates() async throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let configuration = TrainingConfiguration(
            hiddenLayers: [8], epochs: 1, globalBatchSize: 64, learningRate: 0.05, optimizer: .sgd, seed: 2)
        let store = CheckpointStore(directory: directory)
        let first = try await train(worldSize: 1, configuration: configuration, store: store)[0]
        let observer = RecordingObserver()
        let again = try await train(worldSize: 1, configuration: configuration, store: store, observer: observer)[0]
        #expect(again.resumedFromStep == first.steps)
        #expect(await observer.progressSteps.isEmpty)
        #expect(again.model.parameters == first.model.parameters)
        #expect(again.testAccuracy == first.testAccuracy)
    }

    @Test func invalidHyperparametersAreRejectedBeforeTraining() async throws {
        let bad = TrainingConfiguration(
            hiddenLayers: [0], epochs: 0, globalBatchSize: 33, learningRate: -1, optimizer: .sgd, momentum: 1.5)
        let error = await #expect(throws: TrainingConfigurationError.self) {
            try await train(worldSize: 2, configuration: bad)
        }
        #expect(error?.problems.count == 5)
    }
}
