import Foundation
import KubeClient
import Testing
import TrainingJobAPI

extension EndToEndFaultTests {
    /// Faults other than a plain worker crash: the operator dying, a damaged
    /// checkpoint, a worker that hangs.
    @Suite struct Recovery {
        @Test func operatorKilledMidJobAndRestartedFinishesTheSameRing() async throws {
            let cluster = try await EndToEndCluster.start()
            do {
                let first = try cluster.startOperator()
                let name = try await cluster.submit(FaultJobs.small(name: "operator-kill", epochs: 4, holdAfterStep: 40))
                _ = try await cluster.waitForJob(name, timeout: .seconds(120), "held mid-training", until: FaultJobs.held(atStep: 40))
                let podsBefore = try await cluster.workerPods(name).mapValues { $0.metadata.uid ?? "" }
                first.signal(SIGKILL)
                // Training goes on without the operator.
                try cluster.releaseHold(name)
                let without = try await cluster.waitForJob(name, timeout: .seconds(120), "progress past step 40 without the operator") { job in
                    (job.status?.progress?.step ?? 0) > 40
                }
                let stepWithoutOperator = without.status?.progress?.step ?? 0
                try cluster.startOperator()
                let done = try await cluster.waitForJob(name, timeout: .seconds(240), "Succeeded") { $0.status?.phase == .succeeded }
                let status = try #require(done.status)
                #expect(status.restartCount ?? 0 == 0, "\(cluster.describe(done))")
                #expect((status.progress?.step ?? 0) > stepWithoutOperator)
                // Same world: the pods that ran before the kill are the ones that finished.
                let podsAfter = try await cluster.workerPods(name).mapValues { $0.metadata.uid ?? "" }
                #expect(podsAfter == podsBefore)
                let metrics = try cluster.artifactMetrics(done)
                #expect(metrics["resumedFromStep"] is NSNull, "the ring never restarted, so it never resumed: \(metrics)")
            } catch {
                Issue.record("\(error)\n\(cluster.logs())")
            }
            await cluster.shutdown()
        }

        @Test func corruptedNewestCheckpointIsSkippedForThePreviousOne() async throws {
            let cluster = try await EndToEndCluster.start()
            do {
                try cluster.startOperator()
                let name = try await cluster.submit(FaultJobs.small(name: "corrupt-checkpoint", epochs: 4, holdAfterStep: 60))
                let running = try await cluster.waitForJob(name, timeout: .seconds(120), "held at step 60 with two checkpoints") { job in
                    FaultJobs.held(atStep: 60)(job) && job.status?.checkpoint?.step == 50
                }
                // Freeze both workers so that no checkpoint is written while we look.
                let pids = [try await cluster.workerPID(name, index: 0), try await cluster.workerPID(name, index: 1)]
                for pid in pids { kill(pid, SIGSTOP) }
                let directory = cluster.claimDirectory(running).appendingPathComponent("checkpoints")
                let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                    .filter { $0.hasPrefix("checkpoint-") && $0.hasSuffix(".rmckpt") }.sorted()
                try #require(files.count >= 2, "checkpoints: \(files)")
                let newest = directory.appendingPathComponent(files[files.count - 1])
                let newestStep = try #require(Int(files[files.count - 1].dropFirst("checkpoint-".count).dropLast(".rmckpt".count)))
                let previousStep = try #require(Int(files[files.count - 2].dropFirst("checkpoint-".count).dropLast(".rmckpt".count)))
                var bytes = try Data(contentsOf: newest)
                for index in stride(from: bytes.count / 2, to: min(bytes.count, bytes.count / 2 + 64), by: 1) { bytes[index] ^= 0xFF }
                try bytes.write(to: newest)
                // Kill both frozen workers: had rank 0 been let go on, it could
                // finish its step and write a newer, valid checkpoint before it
                // noticed the broken ring, and the corrupted one would never be
                // the newest at resume time.
                kill(pids[1], SIGKILL)
                kill(pids[0], SIGKILL)
                try cluster.releaseHold(name)
                let done = try await cluster.waitForJob(name, timeout: .seconds(240), "Succeeded") { $0.status?.phase == .succeeded }
                let status = try #require(done.status)
                #expect(status.restartCount == 1, "\(cluster.describe(done))")
                let metrics = try cluster.artifactMetrics(done)
                let resumed = try #require(metrics["resumedFromStep"] as? Int, "metrics.json: \(metrics)")
                #expect(resumed == previousStep, "corrupted \(newestStep), expected to resume from \(previousStep), resumed from \(resumed)")
            } catch {
                Issue.record("\(error)\n\(cluster.logs())")
            }
            await cluster.shutdown()
        }

        @Test func stalledWorkerIsDetectedAndTheRingRestarted() async throws {
            let cluster = try await EndToEndCluster.start()
            do {
                // The peer timeout is longer than the progress deadline, so the
                // hang is found by stall detection, not by the ring itself.
                try cluster.startOperator(extraArguments: ["--peer-timeout-seconds", "120"])
                // The hold after step 100 keeps the job from finishing before rank 1 is
                // stopped. A held ring reports no progress, which after 6 s is a stall of its
                // own; so rank 1 is stopped as soon as the checkpoint of step 25 is reported,
                // 75 steps before the hold, and the hold released at once.
                let name = try await cluster.submit(FaultJobs.small(name: "stall", epochs: 4, progressDeadlineSeconds: 6, holdAfterStep: 100))
                let before = try await cluster.waitForJob(name, timeout: .seconds(120), "the checkpoint of step 25") { job in
                    job.status?.phase == .running && job.status?.restartCount ?? 0 == 0 && job.status?.checkpoint?.step == 25
                }
                let checkpoint = before.status?.checkpoint?.step ?? 0
                let pid = try await cluster.workerPID(name, index: 1)
                kill(pid, SIGSTOP)
                // Rank 0 goes on into the next all-reduce, where it waits for the stopped rank 1.
                try cluster.releaseHold(name)
                let done = try await cluster.waitForJob(name, timeout: .seconds(240), "Succeeded") { $0.status?.phase == .succeeded }
                let status = try #require(done.status)
                #expect(status.restartCount == 1, "\(cluster.describe(done))")
                // The stopped rank is the one blamed: rank 0 kept beating while it waited in the
                // all-reduce, rank 1 fell silent.
                let failure = try #require(status.failure, "\(cluster.describe(done))")
                #expect(failure.rank == 1 && failure.pod == "\(name)-worker-1" && failure.reason == "Stalled", "\(cluster.describe(done))")
                let blame = "rank 1 (\(name)-worker-1) sent no heartbeat for "
                #expect(failure.message?.contains(blame) == true, "\(cluster.describe(done))")
                #expect(failure.message?.contains("more than progressDeadlineSeconds (6s)") == true, "\(cluster.describe(done))")
                // The new ring's heartbeats replaced the stopped one's: attempt 1, every rank.
                #expect(status.ranks?.values.filter { $0.attempt == 1 }.count == 2, "\(cluster.describe(done))")
                let events = try await cluster.client.events.list(in: .namespace("default"))
                // The Restarting event leads with the cause and names the rank.
                #expect(events.items.contains {
                    $0.reason == "Restarting" && ($0.message ?? "").hasPrefix("Restart 1 (Stalled): ") && ($0.message ?? "").contains(blame)
                }, "events: \(events.items.map { "\($0.reason ?? ""): \($0.message ?? "")" })")
                let metrics = try cluster.artifactMetrics(done)
                let resumed = try #require(metrics["resumedFromStep"] as? Int, "metrics.json: \(metrics)")
                #expect(resumed >= checkpoint)
                kill(pid, SIGKILL)
            } catch {
                Issue.record("\(error)\n\(cluster.logs())")
            }
            await cluster.shutdown()
        }
    }
}
