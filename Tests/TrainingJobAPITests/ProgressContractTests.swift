import Foundation
import KubeClient
import Testing
@testable import TrainingJobAPI

/// The progress contract's line parser and file follower (docs/progress-contract.md).
@Suite struct ProgressContractTests {
    // MARK: lines

    @Test func theContractsExampleLinesParse() throws {
        let progress = try ProgressLine.parse(#"{"epoch": 1, "step": 235, "loss": 0.52, "accuracy": 0.81}"#)
        #expect(progress == ProgressLine(epoch: 1, step: 235, loss: 0.52, accuracy: 0.81))
        let checkpoint = try ProgressLine.parse(#"{"checkpoint": "/ckpt/epoch-1.pt", "epoch": 1}"#)
        #expect(checkpoint == ProgressLine(epoch: 1, checkpoint: "/ckpt/epoch-1.pt"))
        let final = try ProgressLine.parse(#"{"artifact": "/out/model.safetensors", "metrics": {"test_accuracy": 0.87}}"#)
        #expect(final == ProgressLine(artifact: "/out/model.safetensors", metrics: TrainingMetrics(testAccuracy: 0.87)))
    }

    @Test func everyKeyOfTheContractIsRead() throws {
        let line = try ProgressLine.parse(
            #"{"epoch": 2.0, "total_epochs": 3, "step": 7, "loss": 1, "accuracy": 0.5, "samples_per_second": 812.5, "#
                + #""metrics": {"test_accuracy": 0.9, "test_loss": 0.3, "training_seconds": 12, "samples_per_second": 800, "f1": 0.7}, "#
                + #""learning_rate": 0.01, "artifact": "/m", "note": {"any": ["thing"]}}"#)
        #expect(line == ProgressLine(
            epoch: 2, totalEpochs: 3, step: 7, loss: 1, accuracy: 0.5, samplesPerSecond: 812.5, artifact: "/m",
            metrics: TrainingMetrics(testAccuracy: 0.9, testLoss: 0.3, trainingSeconds: 12, samplesPerSecond: 800)))
    }

    @Test func nullIsTheSameAsAbsent() throws {
        #expect(try ProgressLine.parse(#"{"loss": null, "step": 3, "metrics": null}"#) == ProgressLine(step: 3))
    }

    static let malformed: [(line: String, problem: String)] = [
        ("not json at all", "not JSON"),
        (#"{"loss": NaN}"#, "not JSON"),
        (#"{"epoch": 1"#, "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ("42", "not a JSON object"),
        (#"{"epoch": "1"}"#, "\"epoch\" must be an integer"),
        (#"{"step": 2.5}"#, "\"step\" must be an integer"),
        (#"{"loss": "0.5"}"#, "\"loss\" must be a finite number"),
        (#"{"accuracy": true}"#, "\"accuracy\" must be a finite number"),
        (#"{"checkpoint": 3}"#, "\"checkpoint\" must be a non-empty string"),
        (#"{"artifact": ""}"#, "\"artifact\" must be a non-empty string"),
        (#"{"metrics": [0.9]}"#, "\"metrics\" must be an object"),
        (#"{"metrics": {"test_accuracy": "high"}}"#, "\"metrics.test_accuracy\" must be a finite number"),
        (#"{"note": ""# + String(repeating: "x", count: ProgressContract.maximumLineLength) + #""}"#,
         "longer than \(ProgressContract.maximumLineLength) bytes"),
    ]

    @Test(arguments: malformed)
    func aMalformedLineIsRefusedWithItsProblem(line: String, problem: String) {
        #expect(throws: ProgressLineError(problem)) { try ProgressLine.parse(line) }
    }

    @Test func linesMergeIntoTheStatusLatestValueWinning() throws {
        let t1 = Date(timeIntervalSince1970: 1_000)
        let t2 = Date(timeIntervalSince1970: 2_000)
        var status = TrainingJobStatus(phase: .running)
        status = try ProgressLine.parse(#"{"epoch": 1, "total_epochs": 3, "step": 10, "loss": 0.9, "accuracy": 0.4}"#).applied(to: status, at: t1)
        status = try ProgressLine.parse(#"{"checkpoint": "/c/1.pt", "epoch": 1, "step": 10}"#).applied(to: status, at: t2)
        #expect(status.progress == TrainingProgress(
            epoch: 1, totalEpochs: 3, step: 10, loss: 0.9, accuracy: 0.4, lastUpdateTime: RFC3339.format(t1)),
            "a checkpoint line leaves the progress alone")
        #expect(status.checkpoint == CheckpointStatus(step: 10, path: "/c/1.pt", time: RFC3339.format(t2)))
        status = try ProgressLine.parse(#"{"step": 20, "loss": 0.5}"#).applied(to: status, at: t2)
        #expect(status.progress == TrainingProgress(
            epoch: 1, totalEpochs: 3, step: 20, loss: 0.5, accuracy: 0.4, lastUpdateTime: RFC3339.format(t2)))
        status = try ProgressLine.parse(#"{"metrics": {"test_accuracy": 0.8}}"#).applied(to: status, at: t2)
        status = try ProgressLine.parse(#"{"artifact": "/a/model", "metrics": {"test_loss": 0.4}}"#).applied(to: status, at: t2)
        #expect(status.metrics == TrainingMetrics(testAccuracy: 0.8, testLoss: 0.4))
        #expect(status.artifact == ArtifactStatus(path: "/a/model"))
        #expect(status.progress?.step == 20, "a final line without progress keys leaves the progress alone")
        #expect(status.phase == .running, "fields the contract does not name are untouched")
    }

    // MARK: following a file

    private func withFile(_ body: (URL) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("progress-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(directory.appendingPathComponent("progress.jsonl"))
    }

    private func append(_ text: String, to file: URL) throws {
        if !FileManager.default.fileExists(atPath: file.path) { FileManager.default.createFile(atPath: file.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }

    private func texts(_ batch: ProgressFileFollower.Batch) -> [String] { batch.lines.map(\.text) }

    @Test func aFileThatDoesNotExistYetYieldsNothingUntilItIsWritten() throws {
        try withFile { file in
            var follower = ProgressFileFollower(path: file.path)
            #expect(follower.poll() == ProgressFileFollower.Batch())
            try append("{\"step\": 1}\n", to: file)
            #expect(follower.poll().lines == [.init(number: 1, text: "{\"step\": 1}")])
            #expect(follower.poll() == ProgressFileFollower.Batch(), "nothing new, nothing returned")
        }
    }

    @Test func aPartialLineIsHeldUntilItsNewlineAndDrainedAtTheEnd() throws {
        try withFile { file in
            var follower = ProgressFileFollower(path: file.path)
            try append("{\"step\": 1}\n{\"st", to: file)
            #expect(texts(follower.poll()) == ["{\"step\": 1}"])
            try append("ep\": 2}", to: file)
            #expect(texts(follower.poll()) == [])
            try append("\r\n{\"step\": 3}\n{\"step\": 4}", to: file)
            #expect(follower.poll().lines == [.init(number: 2, text: "{\"step\": 2}"), .init(number: 3, text: "{\"step\": 3}")])
            #expect(follower.drain().lines == [.init(number: 4, text: "{\"step\": 4}")])
            #expect(follower.drain() == ProgressFileFollower.Batch())
        }
    }

    @Test func aTruncatedFileIsReadAgainFromItsStart() throws {
        try withFile { file in
            var follower = ProgressFileFollower(path: file.path)
            try append("{\"step\": 1}\n{\"step\": 2}\n", to: file)
            #expect(texts(follower.poll()).count == 2)
            // Truncated in place (same file) and rewritten shorter than what was read.
            let handle = try FileHandle(forWritingTo: file)
            try handle.truncate(atOffset: 0)
            try handle.write(contentsOf: Data("{\"step\": 9}\n".utf8))
            try handle.close()
            let batch = follower.poll()
            #expect(batch.lines == [.init(number: 1, text: "{\"step\": 9}")])
            #expect(batch.notices.count == 1)
            #expect(batch.notices.first?.contains("truncated") == true)
        }
    }

    @Test func aReplacedFileIsReadFromItsStart() throws {
        try withFile { file in
            var follower = ProgressFileFollower(path: file.path)
            try append("{\"step\": 1}\n", to: file)
            _ = follower.poll()
            let other = file.deletingLastPathComponent().appendingPathComponent("new.jsonl")
            try Data("{\"step\": 5}\n{\"step\": 6}\n".utf8).write(to: other)
            #expect(rename(other.path, file.path) == 0, "a new file takes the name, as an atomic save does")
            let batch = follower.poll()
            #expect(texts(batch) == ["{\"step\": 5}", "{\"step\": 6}"])
            #expect(batch.notices.first?.contains("replaced") == true)
        }
    }

    @Test func anOverlongLineIsSkippedWithoutKeepingItAndTheNextLinesAreRead() throws {
        try withFile { file in
            var follower = ProgressFileFollower(path: file.path)
            let long = String(repeating: "x", count: ProgressContract.maximumLineLength + 10)
            try append("{\"step\": 1}\n" + long.prefix(40_000), to: file)
            #expect(texts(follower.poll()) == ["{\"step\": 1}"])
            try append(long.dropFirst(40_000) + "\n{\"step\": 3}\n", to: file)
            let batch = follower.poll()
            #expect(batch.lines == [.init(number: 3, text: "{\"step\": 3}")])
            #expect(batch.notices == ["line 2 is longer than \(ProgressContract.maximumLineLength) bytes: skipped"])
        }
    }
}
