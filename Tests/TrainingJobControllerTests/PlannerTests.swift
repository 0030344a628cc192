import Foundation
import KubeClient
import Testing
import TrainingJobAPI
@testable import TrainingJobController

/// The planner over whole scenarios: one observed world in, the status,
/// writes, events and requeue out.
@Suite struct PlannerTests {
    typealias State = Fixtures.PodState
    let planner = TrainingJobPlanner()

    struct Scenario: Sendable, CustomTestStringConvertible {
        var name: String
        var job: TrainingJob
        var pods: [Pod] = []
        var children: Set<ObservedTrainingJob.Child> = Fixtures.allChildren
        var now = 100
        var phase: TrainingJobPhase
        var reason: String?
        var restartCount: Int? = nil
        var actions: [String]
        var events: [String]
        var requeue: Int? = nil
        var messageContains: String? = nil
        var testDescription: String { name }
    }

    static var scenarios: [Scenario] {
        let fresh = Fixtures.job()
        let pending = Fixtures.job(status: Fixtures.status(.pending))
        let running = Fixtures.job(status: Fixtures.status(.running, since: 10))
        let restarting = Fixtures.job(status: Fixtures.status(.restarting, restartCount: 1, since: 95))
        return [
            Scenario(
                name: "new job: children, workers, Created", job: fresh, children: [], now: 0, phase: .pending,
                reason: TrainingJobReason.waitingForWorkers,
                actions: ["create service mnist", "create secret", "create serviceaccount", "create role", "create rolebinding",
                          "create claim mnist-storage"],
                events: ["Created"], requeue: 1, messageContains: "Creating the job's"),
            Scenario(
                name: "children observed: workers created", job: Fixtures.job(status: Fixtures.status(.pending)), now: 1, phase: .pending,
                reason: TrainingJobReason.waitingForWorkers,
                actions: ["create mnist-worker-0@0", "create mnist-worker-1@0"], events: []),
            Scenario(
                name: "existing claim is not created", job: Fixtures.job(storage: StorageSpec(existingClaim: "shared")),
                children: [.service, .ringTokenSecret, .serviceAccount, .role, .roleBinding], now: 0, phase: .pending,
                reason: TrainingJobReason.waitingForWorkers, actions: ["create mnist-worker-0@0", "create mnist-worker-1@0"], events: ["Created"]),
            Scenario(
                name: "all running: Running and Started", job: pending,
                pods: [Fixtures.pod(pending, rank: 0, .running), Fixtures.pod(pending, rank: 1, .ready)],
                phase: .running, reason: TrainingJobReason.allWorkersRunning, actions: [], events: ["Started"]),
            Scenario(
                name: "one pending: still Pending", job: pending,
                pods: [Fixtures.pod(pending, rank: 0, .running), Fixtures.pod(pending, rank: 1, .pending)],
                phase: .pending, reason: TrainingJobReason.waitingForWorkers, actions: [], events: [],
                messageContains: "1/2 running"),
            Scenario(
                name: "unschedulable workers explain themselves", job: Fixtures.job(workers: 4, status: Fixtures.status(.pending)),
                pods: (0..<4).map { Fixtures.pod(pending, rank: $0, $0 < 2 ? .running : .unschedulable("0/1 nodes are available: 1 Insufficient nvidia.com/gpu.")) },
                phase: .pending, actions: [], events: [], messageContains: "2/4 workers unschedulable: Insufficient nvidia.com/gpu"),
            Scenario(
                name: "worker killed: restart, counted, workers deleted", job: running,
                pods: [Fixtures.pod(running, rank: 0, .failed(10, finishedAt: 99)), Fixtures.pod(running, rank: 1, .failed(137, finishedAt: 90))],
                phase: .restarting, reason: TrainingJobReason.workerFailed, restartCount: 1,
                actions: ["delete mnist-worker-0", "delete mnist-worker-1"], events: ["Restarting"], requeue: 10),
            Scenario(
                name: "restart: old workers still stopping", job: restarting,
                pods: [Fixtures.pod(running, rank: 0, attempt: 0, .failed(10, finishedAt: 99), terminating: true)],
                phase: .restarting, restartCount: 1, actions: [], events: [], messageContains: "previous attempt to stop"),
            Scenario(
                name: "restart: stale worker not yet deleted is deleted", job: restarting,
                pods: [Fixtures.pod(running, rank: 0, attempt: 0, .running)],
                phase: .restarting, restartCount: 1, actions: ["delete mnist-worker-0"], events: []),
            Scenario(
                name: "restart: backing off", job: restarting, now: 100,
                phase: .restarting, restartCount: 1, actions: [], events: [], requeue: 5, messageContains: "backing off"),
            Scenario(
                name: "restart: backoff over, next attempt created", job: restarting, now: 105,
                phase: .restarting, restartCount: 1, actions: ["create mnist-worker-0@1", "create mnist-worker-1@1"], events: []),
            Scenario(
                name: "restart: new ring running", job: restarting,
                pods: [Fixtures.pod(restarting, rank: 0, attempt: 1, .running), Fixtures.pod(restarting, rank: 1, attempt: 1, .running)],
                now: 120, phase: .running, reason: TrainingJobReason.allWorkersRunning, restartCount: 1, actions: [], events: ["Started"]),
            Scenario(
                name: "evicted worker restarts without counting", job: Fixtures.job(runPolicy: RunPolicy(backoffLimit: 0), status: Fixtures.status(.running)),
                pods: [Fixtures.pod(running, rank: 0, .evicted), Fixtures.pod(running, rank: 1, .running)],
                phase: .restarting, reason: TrainingJobReason.evicted, restartCount: 1,
                actions: ["delete mnist-worker-0", "delete mnist-worker-1"], events: ["Restarting"], requeue: 10),
            Scenario(
                name: "running worker deleted by someone else restarts without counting",
                job: Fixtures.job(runPolicy: RunPolicy(backoffLimit: 0), status: Fixtures.status(.running)),
                pods: [Fixtures.pod(running, rank: 0, .running)],
                phase: .restarting, reason: TrainingJobReason.evicted, restartCount: 1, actions: ["delete mnist-worker-0"], events: ["Restarting"],
                requeue: 10),
            Scenario(
                name: "disruptions do not use up the backoff limit",
                job: Fixtures.job(runPolicy: RunPolicy(backoffLimit: 1), status: Fixtures.status(.running, restartCount: 2, disruptions: 2)),
                pods: [Fixtures.pod(running, rank: 0, attempt: 2, .failed(1, finishedAt: 50)), Fixtures.pod(running, rank: 1, attempt: 2, .running)],
                phase: .restarting, reason: TrainingJobReason.workerFailed, restartCount: 3,
                actions: ["delete mnist-worker-0", "delete mnist-worker-1"], events: ["Restarting"], requeue: 40),
            Scenario(
                name: "past backoffLimit: Failed, running workers cleaned (policy Running)",
                job: Fixtures.job(runPolicy: RunPolicy(backoffLimit: 1), status: Fixtures.status(.running, restartCount: 1)),
                pods: [Fixtures.pod(running, rank: 0, attempt: 1, .failed(1, finishedAt: 50)), Fixtures.pod(running, rank: 1, attempt: 1, .running)],
                phase: .failed, reason: TrainingJobReason.backoffLimitExceeded, restartCount: 1,
                actions: ["delete mnist-worker-1"], events: ["Failed"]),
            Scenario(
                name: "past backoffLimit with cleanPodPolicy All deletes every worker",
                job: Fixtures.job(runPolicy: RunPolicy(backoffLimit: 0, cleanPodPolicy: .all), status: Fixtures.status(.running)),
                pods: [Fixtures.pod(running, rank: 0, .failed(1, finishedAt: 50)), Fixtures.pod(running, rank: 1, .running)],
                phase: .failed, reason: TrainingJobReason.backoffLimitExceeded,
                actions: ["delete mnist-worker-0", "delete mnist-worker-1"], events: ["Failed"]),
            Scenario(
                name: "invalid input fails at once with cleanPodPolicy None keeping pods",
                job: Fixtures.job(runPolicy: RunPolicy(cleanPodPolicy: .none), status: Fixtures.status(.running)),
                pods: [Fixtures.pod(running, rank: 0, .failed(20, finishedAt: 50, message: "dataset missing")), Fixtures.pod(running, rank: 1, .running)],
                phase: .failed, reason: TrainingJobReason.workerInvalidInput, actions: [], events: ["Failed"], messageContains: "dataset missing"),
            Scenario(
                name: "rank 1 done before rank 0: still Running, finishing", job: running,
                pods: [Fixtures.pod(running, rank: 0, .running), Fixtures.pod(running, rank: 1, .succeeded)],
                phase: .running, actions: [], events: [], messageContains: "Finishing: 1/2 workers done"),
            Scenario(
                name: "rank 0 succeeded: Succeeded, the rest cleaned", job: running,
                pods: [Fixtures.pod(running, rank: 0, .succeeded), Fixtures.pod(running, rank: 1, .running)],
                phase: .succeeded, reason: TrainingJobReason.trainingSucceeded, actions: ["delete mnist-worker-1"], events: ["Succeeded"]),
            Scenario(
                name: "success with a TTL requeues at the TTL",
                job: Fixtures.job(runPolicy: RunPolicy(ttlSecondsAfterFinished: 30), status: Fixtures.status(.running)),
                pods: [Fixtures.pod(running, rank: 0, .succeeded), Fixtures.pod(running, rank: 1, .succeeded)],
                phase: .succeeded, reason: TrainingJobReason.trainingSucceeded, actions: [], events: ["Succeeded"], requeue: 30),
            Scenario(
                name: "finished, TTL not yet due", job: Fixtures.job(runPolicy: RunPolicy(ttlSecondsAfterFinished: 30),
                                                                    status: Fixtures.status(.succeeded, completionTime: 90)),
                phase: .succeeded, actions: [], events: [], requeue: 20),
            Scenario(
                name: "finished, TTL due: job deleted", job: Fixtures.job(runPolicy: RunPolicy(ttlSecondsAfterFinished: 30),
                                                                         status: Fixtures.status(.failed, completionTime: 70)),
                phase: .failed, actions: ["delete job"], events: []),
            Scenario(
                name: "finished keeps its clean-pod policy", job: Fixtures.job(runPolicy: RunPolicy(cleanPodPolicy: .all),
                                                                              status: Fixtures.status(.succeeded, completionTime: 70)),
                pods: [Fixtures.pod(running, rank: 0, .succeeded)], phase: .succeeded, actions: ["delete mnist-worker-0"], events: []),
            Scenario(
                name: "deadline exceeded", job: Fixtures.job(runPolicy: RunPolicy(activeDeadlineSeconds: 60), status: Fixtures.status(.running)),
                pods: [Fixtures.pod(running, rank: 0, .running), Fixtures.pod(running, rank: 1, .running)],
                phase: .failed, reason: TrainingJobReason.deadlineExceeded, actions: ["delete mnist-worker-0", "delete mnist-worker-1"],
                events: ["Failed"]),
            Scenario(
                name: "deadline not yet: requeued for it", job: Fixtures.job(runPolicy: RunPolicy(activeDeadlineSeconds: 160), status: Fixtures.status(.running)),
                pods: [Fixtures.pod(running, rank: 0, .running), Fixtures.pod(running, rank: 1, .running)],
                phase: .running, actions: [], events: [], requeue: 60),
            Scenario(
                name: "suspend deletes workers, keeps the claim", job: Fixtures.job(runPolicy: RunPolicy(suspend: true), status: Fixtures.status(.running)),
                pods: [Fixtures.pod(running, rank: 0, .running), Fixtures.pod(running, rank: 1, .running)],
                phase: .suspended, reason: TrainingJobReason.jobSuspended, actions: ["delete mnist-worker-0", "delete mnist-worker-1"],
                events: ["Suspended"]),
            Scenario(
                name: "created suspended: children but no workers", job: Fixtures.job(runPolicy: RunPolicy(suspend: true)), children: [], now: 0,
                phase: .suspended, reason: TrainingJobReason.jobSuspended,
                actions: ["create service mnist", "create secret", "create serviceaccount", "create role", "create rolebinding", "create claim mnist-storage"],
                events: ["Created", "Suspended"]),
            Scenario(
                name: "resume waits for suspended workers to stop", job: Fixtures.job(status: Fixtures.status(.suspended, startTime: nil)),
                pods: [Fixtures.pod(running, rank: 0, .running, terminating: true)], phase: .suspended, actions: [], events: [],
                messageContains: "Resuming once"),
            Scenario(
                name: "resume recreates workers", job: Fixtures.job(status: Fixtures.status(.suspended, startTime: nil)),
                phase: .pending, reason: TrainingJobReason.waitingForWorkers, actions: ["create mnist-worker-0@0", "create mnist-worker-1@0"],
                events: ["Resumed"]),
            Scenario(
                name: "stalled ring restarts", job: Fixtures.job(runPolicy: RunPolicy(progressDeadlineSeconds: 30),
                                                                status: Fixtures.status(.running, since: 10, progress: TrainingProgress(step: 5, lastUpdateTime: Fixtures.time(40)))),
                pods: [Fixtures.pod(running, rank: 0, .running), Fixtures.pod(running, rank: 1, .running)],
                phase: .restarting, reason: TrainingJobReason.stalled, restartCount: 1,
                actions: ["delete mnist-worker-0", "delete mnist-worker-1"], events: ["Restarting"], requeue: 10, messageContains: "step 5"),
            Scenario(
                name: "progressing ring is checked again at its stall deadline", job: Fixtures.job(runPolicy: RunPolicy(progressDeadlineSeconds: 30),
                                                                status: Fixtures.status(.running, since: 10, progress: TrainingProgress(step: 5, lastUpdateTime: Fixtures.time(90)))),
                pods: [Fixtures.pod(running, rank: 0, .running), Fixtures.pod(running, rank: 1, .running)],
                phase: .running, actions: [], events: [], requeue: 20),
            Scenario(
                name: "invalid spec fails with what to fix", job: {
                    var job = Fixtures.job()
                    job.spec.workers = 0
                    return job
                }(), children: [], now: 0, phase: .failed, reason: TrainingJobReason.invalidSpec, actions: [], events: ["Failed"],
                messageContains: "spec.workers: must be between 1"),
        ]
    }

    @Test(arguments: scenarios)
    func plans(_ s: Scenario) throws {
        let plan = try planner.plan(Fixtures.observe(s.job, s.pods, children: s.children), now: Fixtures.at(s.now))
        #expect(plan.status.phase == s.phase)
        if let reason = s.reason, let condition = s.phase.condition {
            #expect(plan.status.condition(condition)?.reason == reason)
        }
        if let reason = s.reason, s.phase == .pending {
            #expect(s.reason == reason)
        }
        if let restartCount = s.restartCount { #expect((plan.status.restartCount ?? 0) == restartCount) }
        #expect(Fixtures.summary(plan.actions) == s.actions)
        #expect(plan.events.map(\.reason) == s.events)
        #expect(plan.requeueAfter == s.requeue.map { .seconds($0) })
        if let text = s.messageContains { #expect(plan.status.message?.contains(text) == true, "\(plan.status.message ?? "")") }
        #expect(plan.status.conditionRuleViolation == nil)
        #expect(plan.status.observedGeneration == 1)
    }

    @Test func failureIsKeptThroughCleanupAndTTL() throws {
        let running = Fixtures.job(runPolicy: RunPolicy(backoffLimit: 0, ttlSecondsAfterFinished: 0, cleanPodPolicy: .all), status: Fixtures.status(.running))
        let pods = [Fixtures.pod(running, rank: 0, .running), Fixtures.pod(running, rank: 1, .failed(3, finishedAt: 50, message: "boom"))]
        let failed = try planner.plan(Fixtures.observe(running, pods), now: Fixtures.at(100))
        #expect(failed.status.failure == FailureStatus(rank: 1, pod: "mnist-worker-1", exitCode: 3, reason: "Error", message: "boom"))
        #expect(Fixtures.summary(failed.actions) == ["delete mnist-worker-0", "delete mnist-worker-1", "delete job"])
        // After the write, the finished job keeps its failure while it is cleaned and deleted.
        var after = running
        after.status = failed.status
        let later = try planner.plan(Fixtures.observe(after, []), now: Fixtures.at(101))
        #expect(later.status.failure == failed.status.failure)
        #expect(Fixtures.summary(later.actions) == ["delete job"])
    }

    @Test func disruptionIsCountedInTheSameStatusWriteAsTheRestart() throws {
        let job = Fixtures.job(status: Fixtures.status(.running, restartCount: 2, disruptions: 1))
        let pods = [Fixtures.pod(job, rank: 0, attempt: 2, .evicted), Fixtures.pod(job, rank: 1, attempt: 2, .running)]
        let plan = try planner.plan(Fixtures.observe(job, pods), now: Fixtures.at(100))
        #expect(plan.status.restartCount == 3)
        #expect(plan.status.disruptions == 2)
        // One conditional patch carries the restart and its bookkeeping.
        let patch = try #require(try StatusPatch.make(from: job.status, to: plan.status, resourceVersion: "7"))
        #expect(patch["status"]?["restartCount"]?.intValue == 3)
        #expect(patch["status"]?["disruptions"]?.intValue == 2)
        #expect(patch["metadata"]?["resourceVersion"] == .string("7"))
        #expect(patch["metadata"]?["annotations"] == nil)

        // Planned again on the same (unwritten) status, the decision is the same;
        // once written, the restart is not counted again.
        #expect(try planner.plan(Fixtures.observe(job, pods), now: Fixtures.at(101)).status.disruptions == 2)
        var written = job
        written.status = plan.status
        let again = try planner.plan(Fixtures.observe(written, pods), now: Fixtures.at(101))
        #expect(again.status.restartCount == 3 && again.status.disruptions == 2)
        #expect(again.events.isEmpty)
    }

    @Test func countedRestartLeavesTheDisruptionCountAlone() throws {
        let job = Fixtures.job(status: Fixtures.status(.running, restartCount: 1))
        let pods = [Fixtures.pod(job, rank: 0, attempt: 1, .failed(1, finishedAt: 50)), Fixtures.pod(job, rank: 1, attempt: 1, .running)]
        let plan = try planner.plan(Fixtures.observe(job, pods), now: Fixtures.at(100))
        #expect(plan.status.restartCount == 2)
        #expect(plan.status.disruptions == nil)
    }

    @Test(arguments: [(3, 3, "restart"), (3, 2, "fail"), (2, 5, "restart")] as [(Int, Int, String)])
    func backoffLimitCountsRestartsLessDisruptions(restarts: Int, disruptions: Int, expected: String) throws {
        // backoffLimit 1: one counted restart is allowed. More disruptions than restarts are clamped.
        let job = Fixtures.job(runPolicy: RunPolicy(backoffLimit: 1), status: Fixtures.status(.running, restartCount: restarts, disruptions: disruptions))
        let pods = [Fixtures.pod(job, rank: 0, attempt: restarts, .failed(1, finishedAt: 50)), Fixtures.pod(job, rank: 1, attempt: restarts, .running)]
        let plan = try planner.plan(Fixtures.observe(job, pods), now: Fixtures.at(100))
        #expect(plan.status.phase == (expected == "restart" ? .restarting : .failed))
    }

    static let stalledWithHeartbeats: TrainingJob = Fixtures.job(
        runPolicy: RunPolicy(progressDeadlineSeconds: 30),
        status: Fixtures.status(
            .running, since: 10, progress: TrainingProgress(step: 5, lastUpdateTime: Fixtures.time(40)),
            ranks: [
                "0": RankStatus(attempt: 0, step: 5, heartbeatTime: Fixtures.time(98), activity: .allReduce, activitySince: Fixtures.time(41)),
                "1": RankStatus(attempt: 0, step: 5, heartbeatTime: Fixtures.time(39), activity: .computing, activitySince: Fixtures.time(39)),
            ]))

    @Test func stallNamesTheSilentRankInStatusFailureAndMessages() throws {
        let job = Self.stalledWithHeartbeats
        let pods = [Fixtures.pod(job, rank: 0, .running), Fixtures.pod(job, rank: 1, .running)]
        let plan = try planner.plan(Fixtures.observe(job, pods), now: Fixtures.at(100))
        #expect(plan.status.phase == .restarting)
        #expect(plan.status.condition(.restarting)?.reason == TrainingJobReason.stalled)
        let failure = try #require(plan.status.failure)
        #expect(failure.rank == 1 && failure.pod == "mnist-worker-1" && failure.reason == TrainingJobReason.stalled)
        let why = "rank 1 (mnist-worker-1) sent no heartbeat for 61s (last at step 5, computing); rank 0 waiting in all-reduce at step 5"
        #expect(failure.message?.contains(why) == true, "\(failure.message ?? "")")
        #expect(plan.status.message == "Restarting the ring from the last checkpoint: no progress for 60s, more than progressDeadlineSeconds (30s), "
                + "progress last reported at step 5; \(why).")
        #expect(plan.events == [PlannedEvent(
            .warning, "Restarting",
            "Restart 1 (Stalled): no progress for 60s, more than progressDeadlineSeconds (30s), progress last reported at step 5; \(why); "
                + "resuming from the last checkpoint.")])
        // The operator never writes the workers' heartbeats.
        let patch = try #require(try StatusPatch.make(from: job.status, to: plan.status, resourceVersion: "7"))
        #expect(patch["status"]?["ranks"] == nil)
    }

    struct EventCase: Sendable, CustomTestStringConvertible {
        var name: String
        var job: TrainingJob
        var pods: [Pod]
        var event: PlannedEvent
        var testDescription: String { name }
    }

    /// Every restart cause: the event is `Restarting`, its message leads with the cause's reason.
    /// Terminal causes: the event is `Failed`, its message leads with the condition's reason.
    static var eventCases: [EventCase] {
        let running = Fixtures.job(status: Fixtures.status(.running))
        let once = Fixtures.job(runPolicy: RunPolicy(backoffLimit: 0), status: Fixtures.status(.running))
        let stalledOut: TrainingJob = {
            var job = stalledWithHeartbeats
            job.spec.runPolicy.backoffLimit = 0
            return job
        }()
        return [
            EventCase(
                name: "worker failed", job: running,
                pods: [Fixtures.pod(running, rank: 0, .failed(3, finishedAt: 50, message: "boom")), Fixtures.pod(running, rank: 1, .running)],
                event: PlannedEvent(.warning, "Restarting",
                                    "Restart 1 (WorkerFailed): worker mnist-worker-0 failed with exit code 3 (Error): boom; resuming from the last checkpoint.")),
            EventCase(
                name: "a termination message's own period is not doubled", job: running,
                pods: [Fixtures.pod(running, rank: 1, .failed(1, finishedAt: 50, message: "disk full.")), Fixtures.pod(running, rank: 0, .running)],
                event: PlannedEvent(.warning, "Restarting",
                                    "Restart 1 (WorkerFailed): worker mnist-worker-1 failed with exit code 1 (Error): disk full; resuming from the last checkpoint.")),
            EventCase(
                name: "evicted", job: running, pods: [Fixtures.pod(running, rank: 0, .evicted), Fixtures.pod(running, rank: 1, .running)],
                event: PlannedEvent(.warning, "Restarting",
                                    "Restart 1 (Evicted): worker mnist-worker-0 was Evicted (not counted toward backoffLimit); resuming from the last checkpoint.")),
            EventCase(
                name: "deleted by someone else", job: running, pods: [Fixtures.pod(running, rank: 0, .running)],
                event: PlannedEvent(.warning, "Restarting",
                                    "Restart 1 (Evicted): worker rank 1 disappeared (not counted toward backoffLimit); resuming from the last checkpoint.")),
            EventCase(
                name: "backoff limit", job: once,
                pods: [Fixtures.pod(once, rank: 0, .failed(3, finishedAt: 50, message: "boom")), Fixtures.pod(once, rank: 1, .running)],
                event: PlannedEvent(.warning, "Failed",
                                    "Failed (BackoffLimitExceeded): The ring failed 1 times, more than backoffLimit (0) allows; last: worker mnist-worker-0 failed with exit code 3 (Error): boom.")),
            EventCase(
                name: "stalled past the backoff limit", job: stalledOut,
                pods: [Fixtures.pod(stalledOut, rank: 0, .running), Fixtures.pod(stalledOut, rank: 1, .running)],
                event: PlannedEvent(.warning, "Failed",
                                    "Failed (BackoffLimitExceeded): The ring failed 1 times, more than backoffLimit (0) allows; last: stalled: no progress for 60s, "
                                        + "more than progressDeadlineSeconds (30s), progress last reported at step 5; rank 1 (mnist-worker-1) sent no heartbeat "
                                        + "for 61s (last at step 5, computing); rank 0 waiting in all-reduce at step 5.")),
        ]
    }

    @Test(arguments: eventCases)
    func eventsNameTheCause(_ c: EventCase) throws {
        let plan = try planner.plan(Fixtures.observe(c.job, c.pods), now: Fixtures.at(100))
        #expect(plan.events == [c.event])
    }

    @Test func newerPodsThanTheStatusMeanAStaleCache() {
        let job = Fixtures.job(status: Fixtures.status(.running, restartCount: 0))
        let pods = [Fixtures.pod(job, rank: 0, attempt: 1, .running)]
        #expect(throws: StaleObservationError.self) { try planner.plan(Fixtures.observe(job, pods), now: Fixtures.at(100)) }
    }

    @Test func deletedJobIsLeftToGarbageCollection() throws {
        var job = Fixtures.job(status: Fixtures.status(.running))
        job.metadata.deletionTimestamp = Fixtures.time(50)
        let plan = try planner.plan(Fixtures.observe(job, [Fixtures.pod(job, rank: 0, .failed(1, finishedAt: 1))], children: []), now: Fixtures.at(100))
        #expect(plan.actions.isEmpty && plan.events.isEmpty)
        #expect(plan.status == job.status)
    }

    @Test func planningTwiceOnTheWrittenStatusIsQuiet() throws {
        // Level-triggered: once the status is written, the same world plans no new writes or events.
        let running = Fixtures.job(status: Fixtures.status(.pending))
        let pods = [Fixtures.pod(running, rank: 0, .running), Fixtures.pod(running, rank: 1, .running)]
        let first = try planner.plan(Fixtures.observe(running, pods), now: Fixtures.at(100))
        var written = running
        written.status = first.status
        let second = try planner.plan(Fixtures.observe(written, pods), now: Fixtures.at(130))
        #expect(second.actions.isEmpty && second.events.isEmpty)
        #expect(try StatusPatch.make(from: written.status, to: second.status, resourceVersion: nil) == nil)
    }

    @Test func reservedTemplateEnvFailsValidation() throws {
        let job = Fixtures.job(workers: 3, template: PodTemplateOverlay(env: [EnvVar(name: "RANK", value: "1")]),
                               status: Fixtures.status(.pending))
        let plan = try planner.plan(Fixtures.observe(job, []), now: Fixtures.at(1))
        // validate() rejects RANK in the template: the job fails instead of running with a surprise.
        #expect(plan.status.phase == .failed)
        #expect(plan.status.message?.contains("RANK") == true)
    }
}
