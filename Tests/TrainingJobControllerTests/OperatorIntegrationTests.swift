import Foundation
import KubeClient
import Testing
import TrainingJobAPI
import TrainingJobController

/// The operator against a local cluster whose node agent runs the worker
/// Pods as real `ringmaster-worker` processes.
@Suite(.serialized) struct OperatorIntegrationTests {
    @Test func twoWorkerJobSucceedsAndTTLDeletesItWithoutOrphans() async throws {
        let harness = try await OperatorHarness.start()
        do {
            var job = OperatorHarness.smallJob("ok")
            job.spec.runPolicy.ttlSecondsAfterFinished = 2
            try await harness.create(job)
            let done = try await harness.waitFor("ok", timeout: .seconds(90), "Succeeded") {
                $0?.status?.phase == .succeeded || $0?.status?.phase == .failed
            }
            let status = try #require(done?.status)
            #expect(status.phase == .succeeded, "\(status)")
            #expect(status.restartCount == 0)
            #expect(status.completionTime != nil && status.startTime != nil)
            #expect(status.metrics?.testAccuracy != nil)
            #expect(status.conditionRuleViolation == nil)
            // The operator records events after the status patch that the wait above saw.
            try await harness.eventually("the Created, Started and Succeeded events") {
                Set(try await harness.events(of: "ok").compactMap(\.reason)).isSuperset(of: ["Created", "Started", "Succeeded"])
            }
            // TTL: the job goes, and with it every child it owns.
            try await harness.waitFor("ok", timeout: .seconds(20), "deletion after the TTL") { $0 == nil }
            try await harness.eventually("children garbage-collected") {
                let pods = try await harness.pods(of: "ok")
                let services = try await harness.client.services.list(in: .namespace("default")).items.filter { $0.metadata.name == "ok" }
                let secrets = try await harness.client.secrets.list(in: .namespace("default")).items.filter { $0.metadata.name == "ok-ring-token" }
                let claims = try await harness.client.persistentVolumeClaims.list(in: .namespace("default")).items
                return pods.isEmpty && services.isEmpty && secrets.isEmpty && claims.isEmpty
            }
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    @Test func killedWorkerRestartsTheRingFromTheCheckpoint() async throws {
        let harness = try await OperatorHarness.start()
        do {
            // Held after step 12 (checkpoints every 5 steps): training, past a checkpoint, unable to finish.
            try await harness.create(OperatorHarness.smallJob("kill", train: 4000, epochs: 2, layers: [256, 128], holdAfterStep: 12))
            try await harness.waitUntilHeld("kill", atStep: 12)
            let before = try await harness.waitFor("kill", timeout: .seconds(30), "the checkpoint of step 10 reported") {
                $0?.status?.checkpoint?.step == 10
            }
            let checkpointStep = try #require(before?.status?.checkpoint?.step)
            var pid: pid_t?
            try await harness.eventually("kill's worker 1 running (it is held, so it stays running)") {
                pid = try await harness.workerPID("kill", rank: 1)
                return pid != nil
            }
            kill(try #require(pid), SIGKILL)
            let restarted = try await harness.waitFor("kill", timeout: .seconds(60), "the restart") { ($0?.status?.restartCount ?? 0) >= 1 }
            #expect(restarted?.status?.failure?.rank == 1)
            try harness.releaseHold("kill")
            // After the restart the step never goes back below the checkpoint.
            var lowest = Int.max
            let done = try await harness.waitFor("kill", timeout: .seconds(120), "Succeeded after the restart") { job in
                if job?.status?.phase == .running, let step = job?.status?.progress?.step { lowest = min(lowest, step) }
                return job?.status?.phase?.isFinished ?? false
            }
            let status = try #require(done?.status)
            #expect(status.phase == .succeeded, "\(status)")
            #expect(status.restartCount == 1)
            #expect(status.failure?.pod == "kill-worker-1")
            if lowest != Int.max { #expect(lowest >= checkpointStep) }
            #expect((status.progress?.step ?? 0) > checkpointStep)
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    @Test func operatorKilledAndStartedAgainEndsInTheSameWorld() async throws {
        let harness = try await OperatorHarness.start()
        do {
            try await harness.create(OperatorHarness.smallJob("again", train: 1000))
            try await harness.waitFor("again", timeout: .seconds(60), "workers created") { ($0?.status?.startTime) != nil }
            await harness.stopOperator()
            harness.startOperator()
            let done = try await harness.waitFor("again", timeout: .seconds(90), "finished") { $0?.status?.phase?.isFinished ?? false }
            #expect(done?.status?.phase == .succeeded)
            #expect(done?.status?.restartCount == 0)
            let workers = try await harness.pods(of: "again").map { $0.metadata.name ?? "" }.sorted()
            #expect(Set(workers).isSubset(of: ["again-worker-0", "again-worker-1"]))
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    @Test func unschedulableJobExplainsItselfThenMeetsItsDeadline() async throws {
        let harness = try await OperatorHarness.start(gpus: 0)
        do {
            var job = OperatorHarness.smallJob("gpu")
            job.spec.resources = ResourceRequirements(limits: ["nvidia.com/gpu": "1"], requests: ["nvidia.com/gpu": "1"])
            job.spec.runPolicy.activeDeadlineSeconds = 6
            try await harness.create(job)
            let pending = try await harness.waitFor("gpu", timeout: .seconds(20), "the scheduling diagnosis") {
                $0?.status?.message?.contains("Insufficient") ?? false
            }
            #expect(pending?.status?.phase == .pending)
            #expect(pending?.status?.message == "2/2 workers unschedulable: Insufficient nvidia.com/gpu")
            let failed = try await harness.waitFor("gpu", timeout: .seconds(20), "DeadlineExceeded") { $0?.status?.phase == .failed }
            #expect(failed?.status?.condition(.failed)?.reason == TrainingJobReason.deadlineExceeded)
            // cleanPodPolicy Running (the default): the pending workers are deleted.
            try await harness.eventually("pending workers cleaned") { try await harness.pods(of: "gpu").isEmpty }
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    @Test func suspendDeletesWorkersKeepsTheClaimAndResumeRecreatesThem() async throws {
        let harness = try await OperatorHarness.start(gpus: 0)
        do {
            var job = OperatorHarness.smallJob("pause")
            // Unschedulable, so the workers stay put while we suspend and resume.
            job.spec.resources = ResourceRequirements(requests: ["nvidia.com/gpu": "1"])
            try await harness.create(job)
            try await harness.eventually("workers created") { try await harness.pods(of: "pause").count == 2 }
            _ = try await harness.client.resource(TrainingJob.self).patch(
                "pause", in: "default", .merge(["spec": ["runPolicy": ["suspend": true]]]))
            let suspended = try await harness.waitFor("pause", timeout: .seconds(20), "Suspended") { $0?.status?.phase == .suspended }
            #expect(suspended?.status?.isTrue(.suspended) == true)
            try await harness.eventually("workers deleted") { try await harness.pods(of: "pause").isEmpty }
            let claim = try await harness.client.persistentVolumeClaims.get("pause-storage", in: "default")
            #expect(claim.metadata.deletionTimestamp == nil)
            _ = try await harness.client.resource(TrainingJob.self).patch(
                "pause", in: "default", .merge(["spec": ["runPolicy": ["suspend": false]]]))
            let resumed = try await harness.waitFor("pause", timeout: .seconds(20), "resumed") { $0?.status?.phase == .pending }
            #expect(resumed?.status?.condition(.suspended)?.status == ConditionStatus.false)
            try await harness.eventually("workers recreated") { try await harness.pods(of: "pause").count == 2 }
            try await harness.eventually("the Suspended and Resumed events") {
                Set(try await harness.events(of: "pause").compactMap(\.reason)).isSuperset(of: ["Suspended", "Resumed"])
            }
            // Deleting the job leaves nothing behind.
            try await harness.client.resource(TrainingJob.self).delete("pause", in: "default")
            try await harness.eventually("no orphans") {
                let pods = try await harness.pods(of: "pause")
                let claims = try await harness.client.persistentVolumeClaims.list(in: .namespace("default")).items
                return pods.isEmpty && claims.isEmpty
            }
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }
}
