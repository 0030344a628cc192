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
                job: Fixtures.job(runPolicy: RunPolicy(backoffLimit: 1), status: Fixtures.status(.running, restartCount: 2),
                                  annotations: [TrainingJobLabels.disruptedAttempts: "0,1"]),
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

    @Test func disruptionIsRecordedInTheAnnotationAsASet() throws {
        let job = Fixtures.job(status: Fixtures.status(.running, restartCount: 2), annotations: [TrainingJobLabels.disruptedAttempts: "0"])
        let pods = [Fixtures.pod(job, rank: 0, attempt: 2, .evicted), Fixtures.pod(job, rank: 1, attempt: 2, .running)]
        let plan = try planner.plan(Fixtures.observe(job, pods), now: Fixtures.at(100))
        #expect(plan.disruptedAttempts == [0, 2])
        #expect(plan.status.restartCount == 3)
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
