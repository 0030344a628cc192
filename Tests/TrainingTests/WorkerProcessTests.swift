import Collective
import Foundation
import KubeClient
import RingmasterTesting
import Testing
import TrainingJobAPI
@testable import Training

/// Runs the real `ringmaster-worker` executable, built next to this test bundle.
@Suite(.serialized) struct WorkerProcessTests {
    struct Finished {
        var status: Int32
        var log: String
        var terminationMessage: String
    }

    private static var workerPath: String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("ringmaster-worker").path
    }

    /// The variables of a tiny run; no KUBECONFIG and no in-cluster variables.
    private func environment(rank: Int, peers: [String], directory: String) -> [String: String] {
        var variables = ProcessInfo.processInfo.environment
        for key in ["KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"] { variables[key] = nil }
        variables.merge([
            "RANK": "\(rank)", "WORLD_SIZE": "\(peers.count)", "RINGMASTER_PEERS": peers.joined(separator: ","),
            "RINGMASTER_AUTH_TOKEN": "test-token", "RINGMASTER_JOB_NAME": "tiny", "RINGMASTER_JOB_NAMESPACE": "default",
            "RINGMASTER_DATASET_SOURCE": "builtin", "RINGMASTER_DATASET_NAME": "fashion-mnist",
            "RINGMASTER_DATASET_TRAIN_LIMIT": "512", "RINGMASTER_DATASET_TEST_LIMIT": "200",
            "RINGMASTER_HIDDEN_LAYERS": "16", "RINGMASTER_EPOCHS": "1", "RINGMASTER_BATCH_SIZE": "32",
            "RINGMASTER_LEARNING_RATE": "0.05", "RINGMASTER_OPTIMIZER": "sgd", "RINGMASTER_SEED": "3",
            "RINGMASTER_CHECKPOINT_DIR": directory + "/checkpoints", "RINGMASTER_CHECKPOINT_EVERY_STEPS": "5",
            "RINGMASTER_ARTIFACT_DIR": directory + "/artifacts", "RINGMASTER_PEER_TIMEOUT_SECONDS": "20", "RINGMASTER_CONNECT_TIMEOUT_SECONDS": "10",
            "RINGMASTER_TERMINATION_MESSAGE_PATH": directory + "/termination-\(rank)",
        ]) { $1 }
        return variables
    }

    /// Starts one worker per environment and waits (at most `limit`) for all of them.
    private func runWorkers(_ environments: [[String: String]], directory: String, limit: Duration = .seconds(120)) async throws -> [Finished] {
        var processes: [(Process, String)] = []
        for (index, variables) in environments.enumerated() {
            let logPath = directory + "/worker-\(index)-\(UUID().uuidString.prefix(4)).log"
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.workerPath)
            process.environment = variables
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            processes.append((process, logPath))
        }
        let deadline = ContinuousClock.now + limit
        while processes.contains(where: { $0.0.isRunning }) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        for (process, _) in processes where process.isRunning { process.terminate() }
        return processes.enumerated().map { index, entry in
            entry.0.waitUntilExit()
            let message = environments[index]["RINGMASTER_TERMINATION_MESSAGE_PATH"].flatMap {
                try? String(contentsOfFile: $0, encoding: .utf8)
            } ?? ""
            return Finished(
                status: entry.0.terminationStatus,
                log: (try? String(contentsOfFile: entry.1, encoding: .utf8)) ?? "",
                terminationMessage: message)
        }
    }

    @Test func twoWorkersTrainWriteArtifactsAndResume() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.workerPath), "\(Self.workerPath)")
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let peers = try TCPCommunicator.freePorts(count: 2).map { "127.0.0.1:\($0)" }
        let results = try await runWorkers((0..<2).map { environment(rank: $0, peers: peers, directory: directory) }, directory: directory)
        for (rank, result) in results.enumerated() {
            #expect(result.status == 0, "rank \(rank) log:\n\(result.log)")
            #expect(result.terminationMessage.contains("16 steps"), "\(result.terminationMessage)")
        }
        #expect(results[0].log.contains("progress is only logged"))
        #expect(results[0].log.contains("epoch finished"))
        #expect(results[0].log.contains("checkpoint saved"))

        let artifacts = directory + "/artifacts"
        let model = try SafetensorsFile.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: artifacts + "/model.safetensors"))))
        #expect(model.tensors.map(\.shape) == [[16, 784], [16], [10, 16], [10]])
        let metrics = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: artifacts + "/metrics.json"))) as? [String: Any])
        #expect(metrics["worldSize"] as? Int == 2)
        #expect(metrics["steps"] as? Int == 16)
        #expect((metrics["testAccuracy"] as? Double ?? 0) > 0.3)
        #expect(metrics["resumedFromStep"] is NSNull)
        let checkpoints = CheckpointStore(directory: directory + "/checkpoints").checkpointFiles().map(\.step)
        #expect(checkpoints == [16, 15, 10])

        // A second run of the finished job (now on one worker) resumes from the last checkpoint.
        let single = try TCPCommunicator.freePorts(count: 1).map { "127.0.0.1:\($0)" }
        let again = try await runWorkers([environment(rank: 0, peers: single, directory: directory)], directory: directory)
        #expect(again[0].status == 0, "log:\n\(again[0].log)")
        #expect(again[0].log.contains("resuming from checkpoint"))
        #expect(again[0].terminationMessage.contains("resumed from step 16"))
        let resumedMetrics = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: artifacts + "/metrics.json"))) as? [String: Any])
        #expect(resumedMetrics["resumedFromStep"] as? Int == 16)
        let resumedModel = try SafetensorsFile.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: artifacts + "/model.safetensors"))))
        #expect(resumedModel.tensors == model.tensors)
    }

    @Test func missingDatasetExitsWithInvalidInput() async throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let peers = try TCPCommunicator.freePorts(count: 1).map { "127.0.0.1:\($0)" }
        var variables = environment(rank: 0, peers: peers, directory: directory)
        let missing = directory + "/no-such-dataset"
        variables["RINGMASTER_DATASET_SOURCE"] = "path"
        variables["RINGMASTER_DATASET_PATH"] = missing
        variables["RINGMASTER_DATASET_FORMAT"] = "idx"
        let result = try await runWorkers([variables], directory: directory)[0]
        #expect(result.status == 20, "log:\n\(result.log)")
        #expect(result.terminationMessage.contains(missing))
        #expect(result.terminationMessage.hasSuffix("\n") && result.terminationMessage.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: directory + "/artifacts/model.safetensors"))
    }

    @Test func invalidHyperparametersExitWithInvalidInput() async throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let peers = try TCPCommunicator.freePorts(count: 2).map { "127.0.0.1:\($0)" }
        var variables = environment(rank: 0, peers: peers, directory: directory)
        variables["RINGMASTER_OPTIMIZER"] = "rmsprop"
        let result = try await runWorkers([variables], directory: directory)[0]
        #expect(result.status == 20, "log:\n\(result.log)")
        #expect(result.terminationMessage.contains("RINGMASTER_OPTIMIZER"))
    }

    @Test func anUnknownLearningRateScheduleExitsWithInvalidInput() async throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let peers = try TCPCommunicator.freePorts(count: 1).map { "127.0.0.1:\($0)" }
        var variables = environment(rank: 0, peers: peers, directory: directory)
        variables["RINGMASTER_LEARNING_RATE_SCHEDULE"] = "step"
        let result = try await runWorkers([variables], directory: directory)[0]
        #expect(result.status == 20, "log:\n\(result.log)")
        #expect(result.terminationMessage.contains("RINGMASTER_LEARNING_RATE_SCHEDULE must be one of constant, cosine, got \"step\""),
                "\(result.terminationMessage)")
    }

    @Test func aRestartedRankZeroRemovesThePartialFileOfTheWriteItsPredecessorDiedIn() async throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let peers = try TCPCommunicator.freePorts(count: 1).map { "127.0.0.1:\($0)" }
        var variables = environment(rank: 0, peers: peers, directory: directory)
        variables["RINGMASTER_LEARNING_RATE_SCHEDULE"] = "cosine"
        variables["FAULT_PAUSE_IN_CHECKPOINT_WRITE"] = "10"
        let store = CheckpointStore(directory: directory + "/checkpoints")
        let marker = store.writePauseMarkerPath(globalStep: 10)

        // The first worker holds half-way through the write of step 10 and is killed there.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.workerPath)
        process.environment = variables
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while !FileManager.default.fileExists(atPath: marker) && process.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(FileManager.default.fileExists(atPath: marker), "the write never paused")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let partial = try #require(
            try String(contentsOfFile: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                .split(separator: " ", maxSplits: 1).last.map(String.init))
        #expect(store.temporaryFiles() == [partial])
        #expect(store.checkpointFiles().map(\.step) == [5])

        // Its successor (the marker exists, so it does not pause) clears the partial file and resumes.
        let again = try await runWorkers([variables], directory: directory)[0]
        #expect(again.status == 0, "log:\n\(again.log)")
        #expect(again.terminationMessage.contains("resumed from step 5"), "\(again.terminationMessage)")
        #expect(again.log.contains("removed the partial file of an interrupted checkpoint write"))
        #expect(!FileManager.default.fileExists(atPath: partial))
        #expect(store.temporaryFiles().isEmpty)
    }

    @Test func ringFailureExitsRetryable() async throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let peers = try TCPCommunicator.freePorts(count: 2).map { "127.0.0.1:\($0)" }
        var environments = (0..<2).map { environment(rank: $0, peers: peers, directory: directory) }
        // Ranks that were given different tokens cannot form a ring.
        environments[1]["RINGMASTER_AUTH_TOKEN"] = "another-token"
        let results = try await runWorkers(environments, directory: directory)
        for result in results {
            #expect(result.status == 10, "log:\n\(result.log)")
            #expect(result.terminationMessage.hasPrefix("ring failure"), "\(result.terminationMessage)")
        }
    }

    @Test func helpDescribesTheEnvironment() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.workerPath)
        process.arguments = ["--help"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text.contains("RINGMASTER_PEERS") && text.contains("Exit codes"))
    }

    @Test func rankZeroReportsProgressCheckpointAndMetricsToTheJobStatus() async throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let cluster = try await LocalClusterFixture.start()
        do {
            let kubectl = try ExternalTools.kubectl()
            for manifest in ["crds/trainingjobs.ringmaster.dev.yaml", "config/samples/ringmaster_v1alpha1_trainingjob.yaml"] {
                let path = ExternalTools.packageRoot.appendingPathComponent(manifest).path
                let applied = try await ProcessRunner.run(
                    kubectl, ["apply", "-n", "default", "-f", path], environment: cluster.kubectlEnvironment)
                #expect(applied.status == 0, "kubectl apply \(manifest): \(applied.combinedOutput)")
            }
            let peers = try TCPCommunicator.freePorts(count: 1).map { "127.0.0.1:\($0)" }
            var variables = environment(rank: 0, peers: peers, directory: directory)
            variables["KUBECONFIG"] = cluster.kubeconfigPath
            variables["RINGMASTER_JOB_NAME"] = "fashion-mnist"
            variables["RINGMASTER_PROGRESS_INTERVAL_SECONDS"] = "0.2"
            let result = try await runWorkers([variables], directory: directory)[0]
            #expect(result.status == 0, "log:\n\(result.log)")
            #expect(result.log.contains("reporting to the TrainingJob status"))
            #expect(result.log.contains("final status reported"), "log:\n\(result.log)")

            let client = try KubernetesClient(config: KubeConfig.load(kubeconfigPath: cluster.kubeconfigPath))
            let job = try await client.resource(TrainingJob.self).get("fashion-mnist", in: "default")
            let status = try #require(job.status)
            #expect(status.progress?.epoch == 1 && status.progress?.totalEpochs == 1)
            #expect(status.progress?.step == 16)
            #expect((status.progress?.loss ?? .nan).isFinite)
            #expect(status.progress?.lastUpdateTime.flatMap(RFC3339.parse) != nil)
            #expect(status.checkpoint?.step == 16)
            #expect(status.checkpoint?.path == directory + "/checkpoints/checkpoint-0000000016.rmckpt")
            #expect(status.artifact?.path == directory + "/artifacts/model.safetensors")
            let metrics = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/artifacts/metrics.json"))) as? [String: Any])
            // The API server re-prints numbers: equal up to the last digit of a double.
            #expect(abs((status.metrics?.testAccuracy ?? -1) - (metrics["testAccuracy"] as? Double ?? -2)) < 1e-12)
            #expect(abs((status.metrics?.testLoss ?? -1) - (metrics["testLoss"] as? Double ?? -2)) < 1e-12)
            #expect((status.metrics?.trainingSeconds ?? 0) > 0)
        } catch {
            try? await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }
}
