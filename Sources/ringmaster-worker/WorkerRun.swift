import Collective
import Foundation
import KubeClient
import Logging
import Training
import TrainingJobAPI

/// One worker's whole life: read the environment, load the data, join the
/// ring, train (resuming from the newest valid checkpoint), and on rank 0
/// write the artifacts and report to the TrainingJob's status.
enum WorkerRun {
    /// Never throws: every failure becomes an outcome with its exit code.
    static func execute(environment: [String: String], logger: Logger) async -> WorkerOutcome {
        do {
            return try await run(environment: environment, logger: logger)
        } catch {
            return WorkerOutcome(error: error)
        }
    }

    static func run(environment variables: [String: String], logger baseLogger: Logger) async throws -> WorkerOutcome {
        let environment = try WorkerEnvironment(environment: variables)
        var logger = baseLogger
        logger[metadataKey: "rank"] = "\(environment.rank)"
        if !environment.jobName.isEmpty { logger[metadataKey: "job"] = "\(environment.jobNamespace)/\(environment.jobName)" }

        let configuration = try trainingConfiguration(environment)
        let source = try datasetSource(environment)
        logger.info("loading data set", metadata: ["path": "\(source.path)", "format": "\(source.format.rawValue)"])
        let data = try source.load()
        try configuration.validate(worldSize: environment.worldSize, trainCount: data.train.count)

        let reporter = statusReporter(environment, logger: logger)
        let peerTimeout = Duration.milliseconds(Int64(environment.peerTimeoutSeconds * 1000))
        var connectTimeout = max(.seconds(60), peerTimeout * 2)
        if let raw = variables[WorkerEnvironment.Key.connectTimeoutSeconds] {
            guard let seconds = Double(raw), seconds > 0, seconds.isFinite else {
                throw WorkerInputError(description: "\(WorkerEnvironment.Key.connectTimeoutSeconds) must be a positive number, got \"\(raw)\"")
            }
            connectTimeout = .milliseconds(Int64(seconds * 1000))
        }
        let tracker = RankActivityTracker()
        let heartbeat = environment.heartbeatSeconds > 0
            ? ProgressPublisher.HeartbeatSettings(
                rank: environment.rank, attempt: environment.restartAttempt,
                interval: .milliseconds(Int64(max(0.1, environment.heartbeatSeconds) * 1000)), tracker: tracker)
            : nil
        let publisher = reporter.map {
            ProgressPublisher(
                reporter: $0, reportsProgress: environment.rank == 0,
                interval: .milliseconds(Int64(max(0.1, environment.progressIntervalSeconds) * 1000)),
                heartbeat: heartbeat, logger: logger)
        }
        logger.info(
            "joining the ring",
            metadata: ["worldSize": "\(environment.worldSize)", "peers": "\(environment.peers.joined(separator: ","))"])
        // Heartbeats ("Joining") go out while the rank waits for its peers.
        let joinTimeout = connectTimeout
        let communicator = try await ProgressPublisher.publishing(publisher) {
            try await TCPCommunicator.connect(RingConfiguration(
                rank: environment.rank, worldSize: environment.worldSize,
                peers: await HostsFileResolver.resolve(
                    environment.peers, hostsFile: variables["RINGMASTER_HOSTS_FILE"], wait: joinTimeout),
                authToken: environment.authToken,
                connectTimeout: joinTimeout, operationTimeout: peerTimeout))
        }
        await tracker.joined()
        // Test-only fault injection (see CheckpointWritePause): pause half-way through one checkpoint write.
        // Not RINGMASTER_-prefixed: those names are reserved, and this one comes in through spec.template.env.
        let writePause = try variables["FAULT_PAUSE_IN_CHECKPOINT_WRITE"].map { raw in
            guard let step = Int(raw), step > 0 else {
                throw WorkerInputError(description: "FAULT_PAUSE_IN_CHECKPOINT_WRITE must be a positive step, got \"\(raw)\"")
            }
            return CheckpointWritePause(globalStep: step)
        }
        // Test-only fault injection (see StepHold): hold every rank after one step until a file exists.
        let hold = try Self.stepHold(variables)
        let store = environment.checkpointDirectory.isEmpty
            ? nil : CheckpointStore(directory: environment.checkpointDirectory, writePause: writePause)
        if store == nil { logger.warning("no checkpoint directory: this run cannot be resumed") }
        let trainer = Trainer(
            configuration: configuration, data: data,
            communicator: ActivityTrackingCommunicator(base: communicator, tracker: tracker), checkpointStore: store,
            observer: hold.map { StepHold(step: $0.step, releaseFile: $0.releaseFile, next: publisher) } ?? publisher,
            logger: logger)

        let result: TrainingResult
        do {
            result = try await withThrowingTaskGroup(of: TrainingResult?.self) { group in
                if let publisher { group.addTask { await publisher.run(); return nil } }
                group.addTask { try await trainer.run() }
                var finished: TrainingResult?
                while let next = try await group.next() {
                    if let next {
                        finished = next
                        group.cancelAll()
                    }
                }
                // The trainer's task always yields a result or throws.
                return finished!
            }
            await tracker.finish()
            // Everyone has finished the last collective before anyone closes.
            try await communicator.barrier()
        } catch {
            await communicator.shutdown()
            throw error
        }
        await communicator.shutdown()

        var artifactPath: String?
        if environment.rank == 0 {
            artifactPath = try writeArtifacts(result, environment: environment, logger: logger)
            await publisher?.finish(
                metrics: TrainingMetrics(
                    testAccuracy: result.testAccuracy, testLoss: result.testLoss, trainingSeconds: result.trainingSeconds,
                    samplesPerSecond: result.samplesPerSecond),
                artifact: artifactPath.map { ArtifactStatus(path: $0) },
                timeout: .seconds(10))
        }
        let resumed = result.resumedFromStep.map { ", resumed from step \($0)" } ?? ""
        return WorkerOutcome(
            exitCode: .success,
            message: "trained \(result.epochs) epoch(s), \(result.steps) steps\(resumed): test accuracy "
                + String(format: "%.4f", result.testAccuracy) + ", test loss " + String(format: "%.4f", result.testLoss))
    }

    /// The step hold `FAULT_HOLD_AFTER_STEP` and `FAULT_HOLD_RELEASE_FILE` ask
    /// for (both or neither), for fault tests. Not `RINGMASTER_`-prefixed:
    /// those names are reserved, and these come in through `spec.template.env`.
    static func stepHold(_ variables: [String: String]) throws -> (step: Int, releaseFile: String)? {
        let step = variables["FAULT_HOLD_AFTER_STEP"]
        let file = variables["FAULT_HOLD_RELEASE_FILE"]
        guard step != nil || file != nil else { return nil }
        guard let raw = step, let value = Int(raw), value > 0 else {
            throw WorkerInputError(description: "FAULT_HOLD_AFTER_STEP must be a positive step, got \"\(step ?? "")\"")
        }
        guard let file, file.hasPrefix("/") else {
            throw WorkerInputError(description: "FAULT_HOLD_RELEASE_FILE must be an absolute path, got \"\(file ?? "")\"")
        }
        return (value, file)
    }

    static func trainingConfiguration(_ environment: WorkerEnvironment) throws -> TrainingConfiguration {
        guard let optimizer = OptimizerKind(rawValue: environment.optimizer.lowercased()) else {
            throw WorkerInputError(
                description: "\(WorkerEnvironment.Key.optimizer) must be one of \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(environment.optimizer)\"")
        }
        guard let schedule = LearningRateScheduleKind(rawValue: environment.learningRateSchedule.lowercased()) else {
            throw WorkerInputError(
                description: "\(WorkerEnvironment.Key.learningRateSchedule) must be one of \(LearningRateScheduleKind.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(environment.learningRateSchedule)\"")
        }
        return TrainingConfiguration(
            hiddenLayers: environment.hiddenLayers, epochs: environment.epochs, globalBatchSize: environment.batchSize,
            learningRate: environment.learningRate, optimizer: optimizer, momentum: environment.momentum,
            seed: environment.seed, checkpointEverySteps: environment.checkpointEverySteps,
            learningRateSchedule: schedule)
    }

    static func datasetSource(_ environment: WorkerEnvironment) throws -> DatasetLoader {
        switch environment.datasetSource {
        case "builtin":
            return try DatasetLoader.builtin(
                environment.datasetName, trainLimit: environment.datasetTrainLimit, testLimit: environment.datasetTestLimit)
        case "path":
            guard let format = DatasetLoader.Format(rawValue: environment.datasetFormat.lowercased()) else {
                throw DatasetError(.unknownFormat, path: environment.datasetPath, "format \"\(environment.datasetFormat)\" is not idx or csv")
            }
            guard !environment.datasetPath.isEmpty else {
                throw WorkerInputError(description: "\(WorkerEnvironment.Key.datasetPath) must be set for a path data set")
            }
            return DatasetLoader(
                path: environment.datasetPath, format: format, labelColumn: environment.datasetLabelColumn,
                trainLimit: environment.datasetTrainLimit, testLimit: environment.datasetTestLimit)
        default:
            throw WorkerInputError(
                description: "\(WorkerEnvironment.Key.datasetSource) must be builtin or path, got \"\(environment.datasetSource)\"")
        }
    }

    /// The status reporter of rank 0 (progress) and, when heartbeats are
    /// on, of every rank; nil (with a log line saying why) for other ranks,
    /// or when there is no job or no API server to report to.
    static func statusReporter(_ environment: WorkerEnvironment, logger: Logger) -> (any ProgressReporter)? {
        guard environment.rank == 0 || environment.heartbeatSeconds > 0 else { return nil }
        guard !environment.jobName.isEmpty, !environment.jobNamespace.isEmpty else {
            logger.info("no TrainingJob named in the environment: progress is only logged, not reported")
            return nil
        }
        let variables = ProcessInfo.processInfo.environment
        guard variables["KUBECONFIG"] != nil || variables["KUBERNETES_SERVICE_HOST"] != nil else {
            logger.info("neither KUBECONFIG nor an in-cluster service account: progress is only logged, not reported")
            return nil
        }
        do {
            // Status patches are small: an answer that takes longer than 10 s is not coming.
            let client = try KubernetesClient.automatic(options: ClientOptions(requestTimeout: .seconds(10), logger: logger))
            logger.info("reporting to the TrainingJob status", metadata: ["server": "\(client.config.server)"])
            return TrainingJobStatusReporter(client: client, name: environment.jobName, namespace: environment.jobNamespace)
        } catch {
            logger.warning("cannot configure the Kubernetes client: progress is only logged", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Writes `model.safetensors` and `metrics.json` atomically; returns the model's path.
    static func writeArtifacts(_ result: TrainingResult, environment: WorkerEnvironment, logger: Logger) throws -> String? {
        guard !environment.artifactDirectory.isEmpty else {
            logger.warning("no artifact directory: the trained model is not saved")
            return nil
        }
        let directory = environment.artifactDirectory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let architecture = result.model.architecture
        let modelPath = directory + "/model.safetensors"
        try AtomicFile.write(
            SafetensorsFile.encode(
                SafetensorsFile.tensors(of: result.model),
                metadata: [
                    "format": "pt", "architecture": "mlp",
                    "layers": architecture.widths.map(String.init).joined(separator: ","),
                    "activation": "relu",
                ]),
            to: modelPath)
        let metrics = ArtifactMetrics(
            testAccuracy: result.testAccuracy, testLoss: result.testLoss, epochs: result.epochs, steps: result.steps,
            wallTimeSeconds: result.trainingSeconds, samplesPerSecond: result.samplesPerSecond,
            worldSize: result.worldSize, resumedFromStep: result.resumedFromStep)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(metrics)), to: directory + "/metrics.json")
        logger.info("artifacts written", metadata: ["model": "\(modelPath)", "metrics": "\(directory)/metrics.json"])
        return modelPath
    }
}

/// The contents of `metrics.json`.
struct ArtifactMetrics: Codable, Sendable {
    var testAccuracy: Double
    var testLoss: Double
    var epochs: Int
    var steps: Int
    var wallTimeSeconds: Double
    var samplesPerSecond: Double
    var worldSize: Int
    /// Written as `null` when the run started fresh.
    var resumedFromStep: Int?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(testAccuracy, forKey: .testAccuracy)
        try container.encode(testLoss, forKey: .testLoss)
        try container.encode(epochs, forKey: .epochs)
        try container.encode(steps, forKey: .steps)
        try container.encode(wallTimeSeconds, forKey: .wallTimeSeconds)
        try container.encode(samplesPerSecond, forKey: .samplesPerSecond)
        try container.encode(worldSize, forKey: .worldSize)
        try container.encode(resumedFromStep, forKey: .resumedFromStep)
    }
}
