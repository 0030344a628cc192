import Foundation
import Testing
@testable import Training

@Suite struct CheckpointTests {
    private func checkpoint(step: Int) -> TrainingCheckpoint {
        let architecture = MLPArchitecture(inputCount: 6, hiddenWidths: [4], classCount: 3)
        let model = MLP(architecture: architecture, seed: UInt64(step))
        return TrainingCheckpoint(
            header: .init(
                epoch: 1, stepInEpoch: step % 7, globalStep: step, architecture: architecture, optimizer: .adam,
                optimizerStepCount: step, globalBatchSize: 8, seed: 99, rngState: 12345, parameterCount: architecture.parameterCount,
                optimizerStateCount: 2 * architecture.parameterCount, createdAt: 1_700_000_000),
            parameters: model.parameters,
            optimizerState: (0..<(2 * architecture.parameterCount)).map { Float($0) * 0.25 })
    }

    @Test func roundTrip() throws {
        let original = checkpoint(step: 12)
        let decoded = try TrainingCheckpoint.decode(original.encoded(), path: "x")
        #expect(decoded == original)
    }

    @Test func everyDamageIsDetected() {
        let bytes = checkpoint(step: 3).encoded()
        // Any flipped byte (header, data or checksum) and any truncation fails.
        for position in stride(from: 0, to: bytes.count, by: 7) {
            var damaged = bytes
            damaged[position] ^= 0x40
            #expect(throws: CheckpointError.self) { try TrainingCheckpoint.decode(damaged, path: "x") }
        }
        for length in [0, 10, 30, bytes.count / 2, bytes.count - 1] {
            #expect(throws: CheckpointError.self) { try TrainingCheckpoint.decode(Array(bytes[0..<length]), path: "x") }
        }
    }

    @Test func saveIsAtomicAndKeepsTheNewestThree() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let store = CheckpointStore(directory: directory + "/nested", keep: 3)
        for step in [5, 10, 15, 20] {
            let record = try store.save(checkpoint(step: step))
            #expect(record.path == store.path(globalStep: step))
        }
        // Overwriting an existing checkpoint replaces it whole.
        try store.save(checkpoint(step: 20))
        let names = try FileManager.default.contentsOfDirectory(atPath: directory + "/nested").sorted()
        #expect(names == ["checkpoint-0000000010.rmckpt", "checkpoint-0000000015.rmckpt", "checkpoint-0000000020.rmckpt"])
        let newest = try #require(store.latestValid(logger: quietLogger))
        #expect(newest.checkpoint == checkpoint(step: 20))
    }

    @Test func corruptAndTruncatedCheckpointsAreSkipped() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let store = CheckpointStore(directory: directory, keep: 3)
        for step in [1, 2, 3] { try store.save(checkpoint(step: step)) }
        // Newest: one flipped bit in the parameters. Next: cut short.
        var corrupt = checkpoint(step: 3).encoded()
        corrupt[corrupt.count / 2] ^= 0x01
        try write(corrupt, to: store.path(globalStep: 3))
        let whole = checkpoint(step: 2).encoded()
        try write(Array(whole[0..<(whole.count - 9)]), to: store.path(globalStep: 2))
        try write(Array("not a checkpoint".utf8), to: directory + "/checkpoint-0000000099.rmckpt")
        let chosen = try #require(store.latestValid(logger: quietLogger))
        #expect(chosen.checkpoint.header.globalStep == 1)
        #expect(chosen.path == store.path(globalStep: 1))
        // A compatibility check that refuses it leaves nothing to resume.
        #expect(store.latestValid(logger: quietLogger, isCompatible: { _ in "different model" }) == nil)
    }

    @Test func emptyOrMissingDirectoryHasNoCheckpoint() {
        #expect(CheckpointStore(directory: "/nonexistent/checkpoints").latestValid(logger: quietLogger) == nil)
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        // The CRC-32 check value from the catalogue of CRC algorithms.
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }
}
