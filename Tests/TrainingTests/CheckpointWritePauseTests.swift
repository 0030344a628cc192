import Foundation
import Testing
@testable import Training

/// The test-only checkpoint write pause: a partial, never-loaded temporary
/// file on disk while the writer holds, a marker naming the writer, and
/// the pause happening once only.
@Suite struct CheckpointWritePauseTests {
    private func checkpoint(step: Int) -> TrainingCheckpoint {
        let architecture = MLPArchitecture(inputCount: 6, hiddenWidths: [4], classCount: 3)
        let model = MLP(architecture: architecture, seed: UInt64(step))
        return TrainingCheckpoint(
            header: .init(
                epoch: 0, stepInEpoch: step, globalStep: step, architecture: architecture, optimizer: .sgd,
                optimizerStepCount: step, globalBatchSize: 8, seed: 1, rngState: 7, parameterCount: architecture.parameterCount,
                optimizerStateCount: architecture.parameterCount, createdAt: 1_700_000_000),
            parameters: model.parameters,
            optimizerState: [Float](repeating: 0.5, count: architecture.parameterCount))
    }

    @Test func theWriteHoldsHalfWayWithAPartialTemporaryFileAndThenCompletes() async throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let store = CheckpointStore(directory: directory, writePause: CheckpointWritePause(globalStep: 4, duration: .seconds(1)))
        try store.save(checkpoint(step: 2))
        let whole = checkpoint(step: 4).encoded()
        let marker = store.writePauseMarkerPath(globalStep: 4)

        let clock = ContinuousClock()
        let started = clock.now
        async let saved = Result { () throws(CheckpointError) -> CheckpointRecord in try store.save(checkpoint(step: 4)) }
        while !FileManager.default.fileExists(atPath: marker) && clock.now < started + .seconds(5) {
            try await Task.sleep(for: .milliseconds(10))
        }
        // While the writer holds: the marker names this process and the
        // temporary file, which holds exactly the first half and is fsynced.
        let text = try String(contentsOfFile: marker, encoding: .utf8)
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ", maxSplits: 1).map(String.init)
        #expect(parts.first == "\(getpid())")
        let temporary = try #require(parts.last)
        #expect((temporary as NSString).deletingLastPathComponent == directory)
        let partial = try #require(FileManager.default.contents(atPath: temporary))
        #expect(Array(partial) == Array(whole[0..<(whole.count / 2)]))
        #expect(!FileManager.default.fileExists(atPath: store.path(globalStep: 4)))
        // The partial file is never taken for a checkpoint.
        #expect(store.checkpointFiles().map(\.step) == [2])
        #expect(store.latestValid(logger: quietLogger)?.checkpoint.header.globalStep == 2)
        // ... and is what a store recognises as the partial file of an interrupted write.
        #expect(store.temporaryFiles() == [temporary])

        let record = try await saved.get()
        #expect(clock.now - started >= .milliseconds(900))
        #expect(record.path == store.path(globalStep: 4))
        #expect(FileManager.default.contents(atPath: record.path).map(Array.init) == whole)
        #expect(!FileManager.default.fileExists(atPath: temporary))
        #expect(store.latestValid(logger: quietLogger)?.checkpoint.header.globalStep == 4)
    }

    @Test func thePauseHappensOncePerDirectoryAndOnlyAtItsStep() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let store = CheckpointStore(directory: directory, writePause: CheckpointWritePause(globalStep: 6, duration: .seconds(60)))
        let marker = store.writePauseMarkerPath(globalStep: 6)
        // Other steps never pause nor leave a marker.
        try store.save(checkpoint(step: 3))
        #expect(!FileManager.default.fileExists(atPath: marker))
        // A marker already there (an earlier process paused here) means no pause.
        try Data("1 earlier\n".utf8).write(to: URL(fileURLWithPath: marker))
        let clock = ContinuousClock()
        let started = clock.now
        try store.save(checkpoint(step: 6))
        #expect(clock.now - started < .seconds(10))
        #expect(store.latestValid(logger: quietLogger)?.checkpoint == checkpoint(step: 6))
        #expect(try String(contentsOfFile: marker, encoding: .utf8) == "1 earlier\n")
    }
}
