import Foundation
import KubeClient
import Testing
import TrainingJobAPI

extension EndToEndFaultTests {
    /// Input that can never work ends the job `Failed` within seconds, with
    /// a message naming the problem and without restarting the ring.
    @Suite struct BadInput {
        @Test func datasetPathThatDoesNotExistFailsNamingThePath() async throws {
            let path = "/nonexistent/ringmaster-e2e/fashion-mnist"
            try await expectFailed(
                job: "missing-path",
                manifest: FaultJobs.small(name: "missing-path", datasetYAML: """
                        source: path
                        path: \(path)
                        format: idx
                    """),
                mentioning: [path])
        }

        @Test func csvWithoutTheLabelColumnFailsNamingTheColumn() async throws {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("ringmaster-e2e-csv-\(UUID().uuidString.prefix(8))", isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            var rows = ["pixel0,pixel1,pixel2,category"]
            for index in 0..<50 { rows.append("\(index % 7),\(index % 5),\(index % 3),\(index % 2)") }
            let csv = rows.joined(separator: "\n") + "\n"
            for name in ["train.csv", "test.csv"] {
                try csv.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
            try await expectFailed(
                job: "missing-label",
                manifest: FaultJobs.small(name: "missing-label", datasetYAML: """
                        source: path
                        path: \(directory.path)
                        format: csv
                        labelColumn: species
                    """),
                mentioning: ["species"])
        }

        @Test func imageThatDoesNotExistFailsWithoutBurningRestarts() async throws {
            let image = "registry.invalid/ringmaster-e2e/no-such-image:1"
            try await expectFailed(
                job: "missing-image",
                manifest: FaultJobs.small(name: "missing-image", extraSpec: "  image: \(image)\n  command: [\"train\"]"),
                mentioning: [image])
        }

        /// Submits `manifest` and expects `Failed` within 45 s (the workers
        /// load data in a second or two), `restartCount` 0 and every string
        /// of `mentioning` in the job's message or failure message.
        private func expectFailed(job name: String, manifest: String, mentioning: [String]) async throws {
            let cluster = try await EndToEndCluster.start()
            do {
                try cluster.startOperator()
                _ = try await cluster.submit(manifest)
                let clock = ContinuousClock()
                let started = clock.now
                let done = try await waitFinished(cluster, name)
                let elapsed = clock.now - started
                let status = try #require(done.status)
                #expect(status.phase == .failed, "\(cluster.describe(done))")
                #expect(status.restartCount ?? 0 == 0, "\(cluster.describe(done))")
                #expect(elapsed < .seconds(45))
                let text = [status.message, status.failure?.message].compactMap { $0 }.joined(separator: "\n")
                for word in mentioning {
                    #expect(text.contains(word), "the failure should name \(word): \(text)")
                }
            } catch {
                Issue.record("\(error)\n\(cluster.logs())")
            }
            await cluster.shutdown()
        }

        private func waitFinished(_ cluster: EndToEndCluster, _ name: String) async throws -> TrainingJob {
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(60)
            while clock.now < deadline {
                if let job = try? await cluster.job(name), let phase = job.status?.phase, phase.isFinished { return job }
                try await Task.sleep(for: .milliseconds(200))
            }
            throw EndToEndError("job \(name) did not finish within 60 s: \((try? await cluster.job(name)).map(cluster.describe) ?? "no job")")
        }
    }
}
