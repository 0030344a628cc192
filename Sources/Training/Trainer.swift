import Collective
import Foundation
import Logging

/// Data-parallel training of an MLP over a `Communicator`.
///
/// Every rank builds the same model from the seed, then takes rank 0's
/// parameters (and, when rank 0 found a valid checkpoint, its optimizer state
/// and data position) by broadcast. Each step every rank runs forward and
/// backward on its `globalBatchSize / worldSize` samples of the epoch's shared
/// shuffle (`DistributedSampler`), and the gradients are averaged with one
/// all-reduce per layer, last layer first: the all-reduce of layer `l` runs
/// in a child task while this task computes the backward pass of layer
/// `l - 1`, and at most one collective is in flight at a time so every rank
/// issues them in the same order. (The optimizer step waits for the last
/// bucket; the forward pass of the next step does not overlap communication.)
/// Rank 0 saves checkpoints; all ranks evaluate their shard of the test set
/// at each epoch end and sum the results.
public struct Trainer: Sendable {
    public var configuration: TrainingConfiguration
    public var data: DatasetSplit
    public var communicator: any Communicator
    /// Where rank 0 saves checkpoints and rank 0 looks for one to resume; nil: none.
    public var checkpointStore: CheckpointStore?
    public var observer: (any TrainingObserver)?
    public var logger: Logger

    public init(
        configuration: TrainingConfiguration, data: DatasetSplit, communicator: any Communicator,
        checkpointStore: CheckpointStore? = nil, observer: (any TrainingObserver)? = nil, logger: Logger
    ) {
        self.configuration = configuration
        self.data = data
        self.communicator = communicator
        self.checkpointStore = checkpointStore
        self.observer = observer
        self.logger = logger
    }

    /// The architecture the configuration and the data set call for.
    public var architecture: MLPArchitecture {
        MLPArchitecture(inputCount: data.train.featureCount, hiddenWidths: configuration.hiddenLayers, classCount: data.train.classCount)
    }

    /// Trains for the configured epochs and returns the final model and its
    /// test metrics. Throws `TrainingConfigurationError` for invalid
    /// hyperparameters (before any communication) and rethrows the
    /// communicator's errors when the ring fails.
    public func run() async throws -> TrainingResult {
        let rank = communicator.rank
        let worldSize = communicator.worldSize
        try configuration.validate(worldSize: worldSize, trainCount: data.train.count)
        let architecture = architecture
        var logger = logger
        logger[metadataKey: "rank"] = "\(rank)"

        var model = MLP(architecture: architecture, seed: configuration.seed)
        var optimizer = configuration.optimizer.make(
            parameterCount: architecture.parameterCount,
            learningRate: Float(configuration.learningRate), momentum: Float(configuration.momentum))

        // Resume: rank 0 chooses, everyone follows.
        var position = Position(epoch: 0, stepInEpoch: 0, globalStep: 0, optimizerStepCount: 0)
        var resumed: CheckpointRecord?
        var optimizerState = optimizer.state
        // Rank 0 is the only writer and has not begun a save: partial files here are stale.
        if rank == 0, let store = checkpointStore { store.removeStaleTemporaryFiles(logger: logger) }
        if rank == 0, let store = checkpointStore,
           let (checkpoint, path) = store.latestValid(logger: logger, isCompatible: compatibilityProblem) {
            let header = checkpoint.header
            position = Position(
                epoch: header.epoch, stepInEpoch: header.stepInEpoch,
                globalStep: header.globalStep, optimizerStepCount: header.optimizerStepCount)
            model.parameters = checkpoint.parameters
            optimizerState = checkpoint.optimizerState
            resumed = CheckpointRecord(globalStep: header.globalStep, path: path, time: Date(timeIntervalSince1970: header.createdAt))
        }
        if worldSize > 1 {
            var meta = position.encoded(found: resumed != nil)
            try await communicator.broadcast(&meta, root: 0)
            let (found, received) = Position.decode(meta)
            position = received
            try await communicator.broadcast(&model.parameters, root: 0)
            if found {
                try await communicator.broadcast(&optimizerState, root: 0)
                if resumed == nil { resumed = CheckpointRecord(globalStep: position.globalStep, path: "", time: Date()) }
            }
        }
        if let resumed {
            optimizer.restore(stepCount: position.optimizerStepCount, state: optimizerState)
            logger.info(
                "resuming from checkpoint",
                metadata: ["step": "\(resumed.globalStep)", "epoch": "\(position.epoch + 1)", "stepInEpoch": "\(position.stepInEpoch)",
                           "path": "\(resumed.path)"])
            await observer?.trainingEvent(.resumed(resumed))
        }

        let sampler = DistributedSampler(datasetCount: data.train.count, rank: rank, worldSize: worldSize, seed: configuration.seed)
        let localBatch = configuration.globalBatchSize / worldSize
        let stepsPerEpoch = configuration.stepsPerEpoch(trainCount: data.train.count)
        // A function of the global step, so a resumed run continues the schedule exactly.
        let learningRates = configuration.learningRateCurve(trainCount: data.train.count)
        let workspace = MLPWorkspace()
        var gradient = [Float](repeating: 0, count: architecture.parameterCount)
        var batchFeatures: [Float] = []
        var batchLabels: [Int32] = []
        var lastCheckpoint: CheckpointRecord?
        var lastEvaluation: EpochEvaluation?
        let clock = ContinuousClock()
        let started = clock.now
        var stepsThisRun = 0

        func samplesPerSecond() -> Double {
            let elapsed = started.duration(to: clock.now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            return seconds > 0 ? Double(stepsThisRun * configuration.globalBatchSize) / seconds : 0
        }

        while position.epoch < configuration.epochs {
            let epoch = position.epoch
            let order = sampler.indices(epoch: epoch)
            var lossTotal = 0.0
            var accuracyTotal = 0.0
            var stepsCounted = 0
            for stepInEpoch in position.stepInEpoch..<stepsPerEpoch {
                data.train.gather(
                    order[(stepInEpoch * localBatch)..<((stepInEpoch + 1) * localBatch)],
                    features: &batchFeatures, labels: &batchLabels)
                let (loss, accuracy) = try await computeGradient(
                    model: model, features: batchFeatures, labels: batchLabels, workspace: workspace, gradient: &gradient)
                optimizer.learningRate = Float(learningRates.rate(atStep: position.globalStep))
                optimizer.step(parameters: &model.parameters, gradient: gradient)
                stepsThisRun += 1
                position.globalStep += 1
                position.stepInEpoch = stepInEpoch + 1
                position.optimizerStepCount = optimizer.stepCount
                lossTotal += loss
                accuracyTotal += accuracy
                stepsCounted += 1
                await observer?.trainingEvent(.progress(TrainingProgress(
                    epoch: epoch + 1, totalEpochs: configuration.epochs, step: position.globalStep,
                    loss: lossTotal / Double(stepsCounted), accuracy: accuracyTotal / Double(stepsCounted),
                    samplesPerSecond: samplesPerSecond())))
                if configuration.checkpointEverySteps > 0, position.globalStep % configuration.checkpointEverySteps == 0,
                   stepInEpoch + 1 < stepsPerEpoch {
                    if let record = await saveCheckpoint(model: model, optimizer: optimizer, position: position, logger: logger) {
                        lastCheckpoint = record
                    }
                }
            }
            position.epoch += 1
            position.stepInEpoch = 0
            let (testLoss, testAccuracy) = try await evaluate(model: model, workspace: workspace)
            let evaluation = EpochEvaluation(
                epoch: epoch + 1,
                trainLoss: stepsCounted > 0 ? lossTotal / Double(stepsCounted) : .nan,
                trainAccuracy: stepsCounted > 0 ? accuracyTotal / Double(stepsCounted) : .nan,
                testLoss: testLoss, testAccuracy: testAccuracy)
            lastEvaluation = evaluation
            logger.info(
                "epoch finished",
                metadata: [
                    "epoch": "\(epoch + 1)/\(configuration.epochs)", "step": "\(position.globalStep)",
                    "trainLoss": "\(format(evaluation.trainLoss))", "trainAccuracy": "\(format(evaluation.trainAccuracy))",
                    "testLoss": "\(format(testLoss))", "testAccuracy": "\(format(testAccuracy))",
                    "samplesPerSecond": "\(format(samplesPerSecond()))",
                ])
            if let record = await saveCheckpoint(model: model, optimizer: optimizer, position: position, logger: logger) {
                lastCheckpoint = record
            }
            await observer?.trainingEvent(.epochCompleted(evaluation))
        }

        let final: (loss: Double, accuracy: Double)
        if let lastEvaluation {
            final = (lastEvaluation.testLoss, lastEvaluation.testAccuracy)
        } else {
            // Resumed from the checkpoint of the last epoch: nothing left to train.
            final = try await evaluate(model: model, workspace: workspace)
        }
        let elapsed = started.duration(to: clock.now)
        return TrainingResult(
            model: model, testAccuracy: final.accuracy, testLoss: final.loss, epochs: configuration.epochs,
            steps: position.globalStep,
            trainingSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
            samplesPerSecond: samplesPerSecond(), worldSize: worldSize, resumedFromStep: resumed?.globalStep,
            lastCheckpoint: lastCheckpoint)
    }

    /// Forward, backward and the bucketed gradient all-reduce of one step.
    /// Returns the global batch's mean loss and accuracy.
    private func computeGradient(
        model: MLP, features: [Float], labels: [Int32], workspace: MLPWorkspace, gradient: inout [Float]
    ) async throws -> (loss: Double, accuracy: Double) {
        features.withUnsafeBufferPointer { model.forward(features: $0, count: labels.count, workspace: workspace) }
        let (lossSum, correct) = model.lossGradient(labels: labels, workspace: workspace)
        let count = Double(labels.count)
        let layers = model.architecture.layers
        guard communicator.worldSize > 1 else {
            for index in layers.indices.reversed() { model.backward(layer: index, workspace: workspace, gradient: &gradient) }
            return (lossSum / count, Double(correct) / count)
        }
        let lastLayer = layers.count - 1
        let communicator = communicator
        var statistics: (loss: Double, accuracy: Double) = (0, 0)
        // The last layer's bucket also carries this rank's mean loss and
        // accuracy, so their global means come for free.
        func store(_ finished: (layer: Int, values: [Float]), into gradient: inout [Float]) {
            let range = layers[finished.layer].range
            gradient.replaceSubrange(range, with: finished.values[0..<range.count])
            if finished.layer == lastLayer {
                statistics = (Double(finished.values[range.count]), Double(finished.values[range.count + 1]))
            }
        }
        try await withThrowingTaskGroup(of: (layer: Int, values: [Float]).self) { group in
            for index in layers.indices.reversed() {
                model.backward(layer: index, workspace: workspace, gradient: &gradient)
                // Keep collectives in order: the previous bucket finishes before the next starts.
                if let finished = try await group.next() { store(finished, into: &gradient) }
                var bucket = Array(gradient[layers[index].range])
                if index == lastLayer { bucket += [Float(lossSum / count), Float(Double(correct) / count)] }
                group.addTask {
                    try await communicator.allReduce(&bucket, operation: .average)
                    return (index, bucket)
                }
            }
            while let finished = try await group.next() { store(finished, into: &gradient) }
        }
        return statistics
    }

    /// The mean loss and accuracy over the whole test set: each rank
    /// evaluates positions `rank, rank + W, ...` and the sums are all-reduced.
    public func evaluate(model: MLP, workspace: MLPWorkspace = MLPWorkspace()) async throws -> (loss: Double, accuracy: Double) {
        let test = data.test
        let mine = Array(stride(from: communicator.rank, to: test.count, by: communicator.worldSize))
        var lossSum = 0.0
        var correct = 0
        var features: [Float] = []
        var labels: [Int32] = []
        let chunk = 256
        for start in stride(from: 0, to: mine.count, by: chunk) {
            test.gather(mine[start..<min(start + chunk, mine.count)], features: &features, labels: &labels)
            let result = features.withUnsafeBufferPointer {
                model.evaluate(features: $0, labels: labels[...], workspace: workspace)
            }
            lossSum += result.lossSum
            correct += result.correct
        }
        var totals: [Float] = [Float(lossSum), Float(correct), Float(mine.count)]
        if communicator.worldSize > 1 { try await communicator.allReduce(&totals, operation: .sum) }
        guard totals[2] > 0 else { return (.nan, .nan) }
        return (Double(totals[0]) / Double(totals[2]), Double(totals[1]) / Double(totals[2]))
    }

    /// Rank 0 saves; a failed save is logged and training goes on (the
    /// previous checkpoints stay valid).
    private func saveCheckpoint(model: MLP, optimizer: any Optimizer, position: Position, logger: Logger) async -> CheckpointRecord? {
        guard communicator.rank == 0, let store = checkpointStore else { return nil }
        let checkpoint = TrainingCheckpoint(
            header: .init(
                epoch: position.epoch, stepInEpoch: position.stepInEpoch, globalStep: position.globalStep,
                architecture: model.architecture, optimizer: configuration.optimizer,
                optimizerStepCount: optimizer.stepCount, globalBatchSize: configuration.globalBatchSize,
                seed: configuration.seed, rngState: SplitMix64.derived(seed: configuration.seed, stream: UInt64(position.epoch)).state,
                parameterCount: model.parameters.count, optimizerStateCount: optimizer.state.count,
                createdAt: Date().timeIntervalSince1970),
            parameters: model.parameters, optimizerState: optimizer.state)
        do {
            let record = try store.save(checkpoint)
            logger.info(
                "checkpoint saved",
                metadata: ["step": "\(record.globalStep)", "resumesAtEpoch": "\(position.epoch + 1)", "stepInEpoch": "\(position.stepInEpoch)",
                           "path": "\(record.path)"])
            await observer?.trainingEvent(.checkpointSaved(record))
            return record
        } catch {
            logger.error("checkpoint not saved; training continues", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Why a checkpoint cannot continue this run, or nil when it can.
    private func compatibilityProblem(_ checkpoint: TrainingCheckpoint) -> String? {
        let header = checkpoint.header
        if header.architecture != architecture {
            return "architecture \(header.architecture.widths) differs from \(architecture.widths)"
        }
        if header.optimizer != configuration.optimizer { return "optimizer \(header.optimizer.rawValue) differs" }
        if header.globalBatchSize != configuration.globalBatchSize {
            return "batch size \(header.globalBatchSize) differs from \(configuration.globalBatchSize)"
        }
        if header.seed != configuration.seed { return "seed \(header.seed) differs from \(configuration.seed)" }
        if header.optimizerStateCount != configuration.optimizer.stateCount(parameterCount: architecture.parameterCount) {
            return "optimizer state size differs"
        }
        let stepsPerEpoch = configuration.stepsPerEpoch(trainCount: data.train.count)
        if header.stepInEpoch > stepsPerEpoch { return "step \(header.stepInEpoch) of an epoch of \(stepsPerEpoch) steps" }
        return nil
    }

    private func format(_ value: Double) -> String { String(format: "%.4f", value) }
}

/// Where training stands; the part of a checkpoint rank 0 broadcasts.
struct Position: Hashable {
    var epoch: Int
    var stepInEpoch: Int
    var globalStep: Int
    var optimizerStepCount: Int

    /// As floats that survive a broadcast exactly: every integer as four 16-bit pieces.
    func encoded(found: Bool) -> [Float] {
        [found ? 1 : 0, epoch, stepInEpoch, globalStep, optimizerStepCount].flatMap { value in
            (0..<4).map { Float((UInt64(value) >> UInt64(16 * $0)) & 0xFFFF) }
        }
    }

    static func decode(_ values: [Float]) -> (found: Bool, position: Position) {
        let integers = (0..<5).map { index in
            (0..<4).reduce(UInt64(0)) { $0 | UInt64(values[index * 4 + $1]) << UInt64(16 * $1) }
        }.map { Int($0) }
        return (integers[0] == 1, Position(epoch: integers[1], stepInEpoch: integers[2], globalStep: integers[3], optimizerStepCount: integers[4]))
    }
}
