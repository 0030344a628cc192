import Foundation
import KubeClient
import Testing
import TrainingJobAPI

extension EndToEndFaultTests {
    /// Workers killed with SIGKILL in the middle of an epoch: the operator
    /// restarts the whole ring, which resumes from the last checkpoint.
    @Suite struct WorkerKill {
        @Test func workerKilledMidEpochRestartsTheRingOnceAndResumes() async throws {
            try await killWorkers(times: 1, job: "kill-once")
        }

        @Test func workerKilledTwiceInARowRestartsTheRingTwice() async throws {
            try await killWorkers(times: 2, job: "kill-twice")
        }

        /// Kills replica 1 (alternating with replica 0) `times` times, each
        /// time once a checkpoint newer than the previous kill's exists and
        /// the ring is training mid-epoch; then expects Succeeded with
        /// `restartCount == times` and a resume from at least the last
        /// checkpoint seen before the last kill.
        private func killWorkers(times: Int, job name: String) async throws {
            let cluster = try await EndToEndCluster.start()
            do {
                try cluster.startOperator()
                _ = try await cluster.submit(FaultJobs.small(name: name, epochs: 3 + times))
                var lastCheckpoint = 0
                for kill in 1...times {
                    let previous = lastCheckpoint
                    let before = try await cluster.waitForJob(name, timeout: .seconds(120), "a checkpoint after step \(previous) (kill \(kill))") { job in
                        guard let status = job.status, status.phase == .running, status.restartCount ?? 0 == kill - 1,
                              let checkpoint = status.checkpoint?.step, checkpoint > previous,
                              let step = status.progress?.step, step > checkpoint,
                              let epoch = status.progress?.epoch, let total = status.progress?.totalEpochs, epoch < total
                        else { return false }
                        return true
                    }
                    lastCheckpoint = before.status?.checkpoint?.step ?? 0
                    let replica = kill % 2
                    let pid = try await cluster.workerPID(name, index: replica)
                    #expect(Foundation.kill(pid, SIGKILL) == 0, "SIGKILL to worker \(replica) (pid \(pid))")
                    _ = try await cluster.waitForJob(name, timeout: .seconds(60), "restart \(kill) recorded") { job in
                        (job.status?.restartCount ?? 0) >= kill
                    }
                }
                let done = try await cluster.waitForJob(name, timeout: .seconds(240), "Succeeded") { $0.status?.phase == .succeeded }
                let status = try #require(done.status)
                #expect(status.restartCount == times)
                let metrics = try cluster.artifactMetrics(done)
                let resumed = try #require(metrics["resumedFromStep"] as? Int, "metrics.json: \(metrics)")
                #expect(resumed >= lastCheckpoint, "resumed from step \(resumed), last checkpoint before the kill was \(lastCheckpoint)")
                #expect(resumed > 0)
                #expect((status.progress?.step ?? 0) > resumed)
                #expect((metrics["testAccuracy"] as? Double ?? 0) > 0.6)
                #expect(FileManager.default.fileExists(
                    atPath: cluster.claimDirectory(done).appendingPathComponent("artifacts/model.safetensors").path))
            } catch {
                Issue.record("\(error)\n\(cluster.logs())")
            }
            await cluster.shutdown()
        }
    }
}
