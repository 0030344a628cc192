import Foundation
import KubeClient
import Testing
import TrainingJobAPI

extension EndToEndFaultTests {
    /// Rank 0 killed with SIGKILL while it writes a checkpoint: the ring
    /// restarts once and resumes from the last complete checkpoint; the
    /// half-written file is never loaded.
    @Suite struct CheckpointWrite {
        /// The step whose checkpoint write is interrupted (the third
        /// checkpoint of the first epoch), and the interval between checkpoints.
        static let pausedStep = 75
        static let interval = 25

        @Test func rank0KilledDuringACheckpointWriteResumesFromTheLastCompleteOne() async throws {
            let cluster = try await EndToEndCluster.start()
            do {
                try cluster.startOperator()
                // Test-only fault injection in the worker (CheckpointWritePause):
                // rank 0 writes half of the checkpoint of `pausedStep`, fsyncs
                // it, creates a marker naming itself and holds there; the
                // write of a small model is otherwise far too quick to catch.
                let name = try await cluster.submit(FaultJobs.small(
                    name: "checkpoint-write-kill", epochs: 2, checkpointEverySteps: Self.interval,
                    extraSpec: """
                          template:
                            env:
                            - name: FAULT_PAUSE_IN_CHECKPOINT_WRITE
                              value: "\(Self.pausedStep)"
                        """))
                let running = try await cluster.waitForJob(name, timeout: .seconds(120), "the job running") { job in
                    job.status?.phase == .running
                }
                let checkpoints = cluster.claimDirectory(running).appendingPathComponent("checkpoints")
                let marker = checkpoints.appendingPathComponent(String(format: ".write-paused-%010d", Self.pausedStep))
                let clock = ContinuousClock()
                let deadline = clock.now + .seconds(120)
                while !FileManager.default.fileExists(atPath: marker.path) {
                    guard clock.now < deadline else { throw EndToEndError("rank 0 never paused in the checkpoint write") }
                    try await Task.sleep(for: .milliseconds(20))
                }
                let text = try String(contentsOf: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                let parts = text.split(separator: " ", maxSplits: 1).map(String.init)
                let pid = try #require(parts.first.flatMap { pid_t($0) }, "marker: \(text)")
                // The worker names the file as it sees it, inside its Pod's mounts; on the host it is in the claim.
                let temporary = checkpoints.appendingPathComponent(URL(fileURLWithPath: try #require(parts.last)).lastPathComponent).path
                // The paused process is the running rank 0 of this job.
                #expect(try await cluster.workerPID(name, index: 0) == pid)
                #expect(kill(pid, SIGKILL) == 0, "SIGKILL to rank 0 (pid \(pid))")
                // Killed mid-write: a partial temporary file, no checkpoint of that step.
                let partialSize = try #require(
                    try FileManager.default.attributesOfItem(atPath: temporary)[.size] as? Int, "temporary \(temporary)")
                let previous = checkpoints.appendingPathComponent(
                    String(format: "checkpoint-%010d.rmckpt", Self.pausedStep - Self.interval))
                let completeSize = try #require(try FileManager.default.attributesOfItem(atPath: previous.path)[.size] as? Int)
                #expect(partialSize > 0 && partialSize < completeSize, "partial \(partialSize) bytes of \(completeSize)")
                #expect(!FileManager.default.fileExists(
                    atPath: checkpoints.appendingPathComponent(String(format: "checkpoint-%010d.rmckpt", Self.pausedStep)).path))

                let done = try await cluster.waitForJob(name, timeout: .seconds(240), "Succeeded") { $0.status?.phase == .succeeded }
                let status = try #require(done.status)
                #expect(status.restartCount == 1, "\(cluster.describe(done))")
                let metrics = try cluster.artifactMetrics(done)
                let resumed = try #require(metrics["resumedFromStep"] as? Int, "metrics.json: \(metrics)")
                // The last complete checkpoint, not the half-written one and not step 0.
                #expect(resumed == Self.pausedStep - Self.interval, "metrics.json: \(metrics)")
                #expect((status.progress?.step ?? 0) > Self.pausedStep)
                // The restarted rank 0 removed the partial file rather than leave it behind
                // (it was never read as a checkpoint: the resume came from the step before).
                #expect(!FileManager.default.fileExists(atPath: temporary), "partial file \(temporary) left behind")
                #expect((metrics["testAccuracy"] as? Double ?? 0) > 0.6, "metrics.json: \(metrics)")
            } catch {
                Issue.record("\(error)\n\(cluster.logs())")
            }
            await cluster.shutdown()
        }
    }
}
