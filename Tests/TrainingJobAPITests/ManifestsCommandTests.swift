import Foundation
import RingmasterTesting
import Testing
@testable import TrainingJobAPI

/// `ringmaster manifests` writes the generated CRD and detects stale copies.
@Suite struct ManifestsCommandTests {
    @Test func writesTheCRDAndChecksIt() async throws {
        let ringmaster = try ExternalTools.product("ringmaster")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("manifests-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = directory.appendingPathComponent("a").path
        let second = directory.appendingPathComponent("b").path

        // --check on a missing file fails and says what to run.
        let missing = try await ProcessRunner.run(ringmaster, ["manifests", "--check", "--output-dir", first])
        #expect(missing.status != 0)
        #expect(missing.combinedOutput.contains("make manifests"))

        let written = try await ProcessRunner.run(ringmaster, ["manifests", "--output-dir", first, "--output-dir", second])
        #expect(written.status == 0, "\(written.combinedOutput)")
        for path in [first, second] {
            let contents = try String(contentsOfFile: "\(path)/\(TrainingJobCRD.fileName)", encoding: .utf8)
            #expect(contents == (try TrainingJobCRD.yaml()))
        }
        let current = try await ProcessRunner.run(ringmaster, ["manifests", "--check", "--output-dir", first])
        #expect(current.status == 0, "\(current.combinedOutput)")

        // A hand edit makes the copy stale.
        let file = "\(second)/\(TrainingJobCRD.fileName)"
        try (String(contentsOfFile: file, encoding: .utf8) + "# edited\n").write(toFile: file, atomically: true, encoding: .utf8)
        let stale = try await ProcessRunner.run(ringmaster, ["manifests", "--check", "--output-dir", second])
        #expect(stale.status != 0)
        #expect(stale.combinedOutput.contains(file))
    }
}
