import Foundation
import RingmasterTesting
import Testing
import TrainingJobAPI

/// The PyTorch DDP example (`examples/pytorch-ddp/train.py`) run by hand on
/// the host: real torch from the project's venv, real `torchrun`, 2 processes
/// talking gloo, on a small slice of Fashion-MNIST. What the TrainingJob that
/// runs it under the operator relies on: the model as safetensors, progress
/// as JSON lines, resuming from the checkpoint, and exit code 20 (the default
/// failure policy's permanent one) for bad input.
@Suite(.serialized) struct PyTorchExampleTests {
    static let script = ExternalTools.packageRoot.appendingPathComponent("examples/pytorch-ddp/train.py").path
    static let dataDirectory = "/usr/share/datasets/fashion-mnist"

    @Test func trainsOnTwoProcessesWritesAModelSafetensorsOpensAndResumesFromItsCheckpoint() async throws {
        let run = try RunDirectory()
        defer { run.remove() }

        // One epoch on 2 ranks.
        let first = try await run.torchrun(epochs: 1)
        #expect(first.status == 0, "\(first.combinedOutput.suffix(4000))")
        #expect(!first.combinedOutput.contains("resumed from checkpoint"))
        let firstRecords = try run.progressRecords()
        #expect(firstRecords.filter { $0["loss"] != nil }.compactMap { $0["epoch"] as? Int } == [1], "\(firstRecords)")
        let epochRecord = try #require(firstRecords.first { $0["loss"] != nil })
        #expect(epochRecord["step"] as? Int ?? 0 > 0)
        #expect(epochRecord["total_epochs"] as? Int == 1)
        #expect((epochRecord["loss"] as? Double).map { $0.isFinite && $0 > 0 } == true, "\(epochRecord)")
        let checkpointRecord = try #require(firstRecords.first { $0["checkpoint"] != nil })
        let checkpointPath = try #require(checkpointRecord["checkpoint"] as? String)
        #expect(checkpointPath == run.checkpoints.appendingPathComponent("checkpoint.pt").path)
        #expect(checkpointRecord["step"] as? Int == epochRecord["step"] as? Int, "\(checkpointRecord)")
        #expect(FileManager.default.fileExists(atPath: checkpointPath))
        // Written atomically: no temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: run.checkpoints.path) == ["checkpoint.pt"])

        let artifactRecord = try #require(firstRecords.last, "no progress at all")
        let modelPath = try #require(artifactRecord["artifact"] as? String, "\(firstRecords)")
        #expect(modelPath == run.artifacts.appendingPathComponent("model.safetensors").path)
        let metrics = try #require(artifactRecord["metrics"] as? [String: Any])
        let accuracy = try #require(metrics["test_accuracy"] as? Double)
        #expect(accuracy > 0.5, "test accuracy \(accuracy) after one small epoch; chance is 0.1")
        #expect((metrics["test_loss"] as? Double).map { $0.isFinite } == true)
        #expect((metrics["training_seconds"] as? Double).map { $0 > 0 } == true, "\(metrics)")

        // The real safetensors package opens the model, with the CNN's tensors.
        let tensors = try await Self.safetensorsShapes(modelPath)
        #expect(tensors["conv1.weight"] == [16, 1, 3, 3], "\(tensors)")
        #expect(tensors["conv2.weight"] == [32, 16, 3, 3], "\(tensors)")
        #expect(tensors["fc.weight"] == [10, 32 * 7 * 7], "\(tensors)")
        #expect(tensors["fc.bias"] == [10], "\(tensors)")
        let card = try JSONSerialization.jsonObject(
            with: Data(contentsOf: run.artifacts.appendingPathComponent("model.json"))) as? [String: Any]
        #expect(card?["name"] as? String == "FashionCNN")
        #expect((card?["classes"] as? [String])?.count == 10)

        // Again with the same checkpoint directory and 2 epochs: it resumes
        // after epoch 1 and the epochs of the progress file continue.
        let second = try await run.torchrun(epochs: 2)
        #expect(second.status == 0, "\(second.combinedOutput.suffix(4000))")
        #expect(second.combinedOutput.contains("resumed from checkpoint at epoch 1"), "\(second.combinedOutput.suffix(4000))")
        let secondRecords = Array(try run.progressRecords().dropFirst(firstRecords.count))
        let trainedEpochs = secondRecords.filter { $0["loss"] != nil }
        #expect(trainedEpochs.compactMap { $0["epoch"] as? Int } == [2], "\(secondRecords)")
        // Steps count from the start of training, across the resume.
        #expect(trainedEpochs.first?["step"] as? Int == 2 * (epochRecord["step"] as? Int ?? 0), "\(secondRecords)")
        #expect(secondRecords.compactMap { $0["checkpoint"] != nil ? $0["epoch"] as? Int : nil } == [2])
        #expect(secondRecords.last?["artifact"] as? String == modelPath, "\(secondRecords)")
    }

    @Test func aMissingDataDirectoryExitsWithTheInvalidInputCodeNamingTheDirectory() async throws {
        let missing = "/nonexistent/ringmaster-pytorch/fashion-mnist"
        let result = try await ProcessRunner.run(
            try ExternalTools.python(), [Self.script, "--data=\(missing)", "--epochs=1"],
            environment: ["WORLD_SIZE": "1", "RANK": "0"], timeout: .seconds(300))
        #expect(result.status == WorkerExitCode.invalidInput.rawValue, "\(result.combinedOutput)")
        #expect(result.standardError.contains("data directory \(missing) does not exist"), "\(result.combinedOutput)")
    }

    @Test func theTestFaultExitsTheNamedRankWithTheNamedCodeMidEpoch() async throws {
        let run = try RunDirectory()
        defer { run.remove() }
        let result = try await ProcessRunner.run(
            try ExternalTools.python(),
            [Self.script, "--data=\(Self.dataDirectory)", "--epochs=2", "--train-limit=512", "--test-limit=100"],
            environment: run.environment.merging(["TRAIN_FAULT": "rank=0,epoch=1,step=3,exit=42"]) { $1 },
            timeout: .seconds(300))
        #expect(result.status == 42, "\(result.combinedOutput)")
        #expect(result.standardOutput.contains("TRAIN_FAULT: exiting with code 42 at epoch 1 step 3"), "\(result.combinedOutput)")
        // It died before finishing the epoch: no progress, no checkpoint.
        #expect(try run.progressRecords().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: run.checkpoints.appendingPathComponent("checkpoint.pt").path))
    }

    /// Tensor name -> shape of a safetensors file, read by the `safetensors` package.
    static func safetensorsShapes(_ path: String) async throws -> [String: [Int]] {
        let program = """
            import json, sys
            from safetensors import safe_open
            with safe_open(sys.argv[1], framework="numpy") as f:
                print(json.dumps({name: list(f.get_slice(name).get_shape()) for name in f.keys()}))
            """
        let result = try await ProcessRunner.run(try ExternalTools.python(), ["-c", program, path], timeout: .seconds(120))
        #expect(result.status == 0, "\(result.combinedOutput)")
        let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8))
        return try #require(object as? [String: [Int]], "\(result.standardOutput)")
    }

    /// A checkpoint directory, an artifact directory and a progress file, as
    /// the operator gives a worker.
    struct RunDirectory {
        let root: URL
        var checkpoints: URL { root.appendingPathComponent("checkpoints") }
        var artifacts: URL { root.appendingPathComponent("artifacts") }
        var progress: URL { root.appendingPathComponent("progress.jsonl") }
        var environment: [String: String] {
            ["RINGMASTER_CHECKPOINT_DIR": checkpoints.path, "RINGMASTER_ARTIFACT_DIR": artifacts.path,
             "RINGMASTER_PROGRESS_FILE": progress.path]
        }

        init() throws {
            root = FileManager.default.temporaryDirectory
                .appendingPathComponent("ringmaster-pytorch-\(UUID().uuidString.prefix(8))", isDirectory: true)
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        }

        func remove() { try? FileManager.default.removeItem(at: root) }

        /// `torchrun --standalone --nproc-per-node=2 train.py` on 2000
        /// training and 500 test samples (a free port for every run).
        func torchrun(epochs: Int) async throws -> ProcessResult {
            try await ProcessRunner.run(
                try ExternalTools.python(),
                ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", PyTorchExampleTests.script,
                 "--data=\(PyTorchExampleTests.dataDirectory)", "--epochs=\(epochs)", "--batch-size=32",
                 "--train-limit=2000", "--test-limit=500"],
                environment: environment, timeout: .seconds(600))
        }

        /// The progress file's JSON objects, in order ([] when there is no file).
        func progressRecords() throws -> [[String: Any]] {
            guard let text = try? String(contentsOf: progress, encoding: .utf8) else { return [] }
            return try text.split(separator: "\n").map { line in
                try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            }
        }
    }
}
