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

        /// Kills replica 1 (alternating with replica 0) `times` times while
        /// the ring is held mid-epoch after step 40 (a checkpoint at step 25
        /// written), each time in the ring the previous kill restarted; then
        /// releases the hold and expects Succeeded with `restartCount ==
        /// times` and a resume from the checkpoint seen before the kills.
        private func killWorkers(times: Int, job name: String) async throws {
            let cluster = try await EndToEndCluster.start()
            do {
                try cluster.startOperator()
                _ = try await cluster.submit(FaultJobs.small(name: name, epochs: 3 + times, holdAfterStep: 40))
                let held = try await cluster.waitForJob(name, timeout: .seconds(120), "held at step 40 with the checkpoint of step 25") { job in
                    FaultJobs.held(atStep: 40)(job) && job.status?.checkpoint?.step == 25
                }
                let lastCheckpoint = held.status?.checkpoint?.step ?? 0
                for kill in 1...times {
                    // The held ring cannot finish, so the worker of this attempt runs until killed.
                    let replica = kill % 2
                    let pid = try await cluster.runningWorkerPID(name, index: replica, attempt: kill - 1)
                    #expect(Foundation.kill(pid, SIGKILL) == 0, "SIGKILL to worker \(replica) (pid \(pid))")
                    _ = try await cluster.waitForJob(name, timeout: .seconds(60), "restart \(kill) recorded") { job in
                        (job.status?.restartCount ?? 0) >= kill
                    }
                }
                try cluster.releaseHold(name)
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
