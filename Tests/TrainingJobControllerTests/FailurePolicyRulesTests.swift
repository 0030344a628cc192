import Foundation
import KubeClient
import Testing
import TrainingJobAPI
@testable import TrainingJobController

/// `spec.runPolicy.failurePolicy.rules` applied by `FailurePolicy` and the planner.
@Suite struct FailurePolicyRulesTests {
    typealias State = Fixtures.PodState

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var rules: [FailurePolicyRule]
        var pods: [(Int, State, Bool)]
        var started = false
        var counted = 0
        var backoffLimit = 3
        /// `fail <reason>`, `restart counted|uncounted <reason>` or `none`.
        var expected: String
        var failureRank: Int?
        /// Text the message (fail) or cause (restart) must contain.
        var says: String?
        var testDescription: String { name }
    }

    static let rules = "spec.runPolicy.failurePolicy.rules"

    static let cases: [Case] = [
        Case(name: "a FailJob rule fails the job on its exit code at once",
             rules: [.exitCodes(.failJob, .in, [42])],
             pods: [(0, .failed(42, finishedAt: 5, message: "bad config"), false), (1, .running, false)],
             expected: "fail FailurePolicyRule", failureRank: 0,
             says: "Worker mnist-worker-0 failed with exit code 42 (Error): bad config; \(rules)[0] (FailJob) matches it"),
        Case(name: "a code the rule does not list restarts as before",
             rules: [.exitCodes(.failJob, .in, [42])],
             pods: [(0, .failed(1, finishedAt: 5), false), (1, .running, false)],
             expected: "restart counted WorkerFailed", failureRank: 0),
        Case(name: "NotIn fails on any other code", rules: [.exitCodes(.failJob, .notIn, [10, 1])],
             pods: [(0, .failed(137, finishedAt: 5), false)], expected: "fail FailurePolicyRule", failureRank: 0, says: "exit code 137"),
        Case(name: "the first matching rule wins",
             rules: [.exitCodes(.restartJobAndIgnoreBackoffLimit, .in, [42]), .exitCodes(.failJob, .notIn, [1])],
             pods: [(0, .failed(42, finishedAt: 5), false)], counted: 3,
             expected: "restart uncounted FailurePolicyRule", failureRank: 0,
             says: "matching \(rules)[0] (RestartJobAndIgnoreBackoffLimit: not counted toward backoffLimit)"),
        Case(name: "a job's rule overrides a default rule", rules: [.exitCodes(.restartJob, .in, [20])],
             pods: [(0, .failed(20, finishedAt: 5), false)], expected: "restart counted FailurePolicyRule", failureRank: 0,
             says: "exit code 20 (Error), matching \(rules)[0] (RestartJob)"),
        Case(name: "RestartJob past the backoff limit fails, naming the rule", rules: [.exitCodes(.restartJob, .in, [42])],
             pods: [(0, .failed(42, finishedAt: 5), false)], counted: 3,
             expected: "fail BackoffLimitExceeded", failureRank: 0, says: "matching \(rules)[0] (RestartJob)"),
        Case(name: "FailJob on one worker wins over an earlier restartable failure",
             rules: [.exitCodes(.failJob, .in, [42])],
             pods: [(0, .failed(1, finishedAt: 1), false), (1, .failed(42, finishedAt: 5), false)],
             expected: "fail FailurePolicyRule", failureRank: 1),
        Case(name: "an eviction can be made fatal", rules: [.reasons(.failJob, [.evicted])],
             pods: [(0, .evicted, false), (1, .running, false)], expected: "fail FailurePolicyRule", failureRank: 0, says: "(Evicted)"),
        Case(name: "a Pod deleted under the job can be made to count", rules: [.reasons(.restartJob, [.deleted])],
             pods: [(0, .running, true), (1, .running, false)], expected: "restart counted FailurePolicyRule", failureRank: 0),
        Case(name: "a Pod gone after the start can fail the job", rules: [.reasons(.failJob, [.deleted])],
             pods: [(0, .running, false)], started: true, expected: "fail FailurePolicyRule", failureRank: 1,
             says: "Worker rank 1 disappeared"),
        Case(name: "without rules, an eviction is still not counted", rules: [],
             pods: [(0, .evicted, false)], counted: 3, expected: "restart uncounted Evicted", failureRank: 0),
        Case(name: "without rules, exit code 20 still fails the job", rules: [],
             pods: [(0, .failed(20, finishedAt: 5), false), (1, .running, false)], expected: "fail WorkerInvalidInput", failureRank: 0),
    ]

    @Test(arguments: cases)
    func decides(_ c: Case) {
        let job = Fixtures.job(workers: 2)
        let workers = c.pods.map { WorkerObservation(Fixtures.pod(job, rank: $0.0, $0.1, terminating: $0.2)) }
        let decision = FailurePolicy.decide(
            workers: workers, expectedWorkers: 2, allWorkersStarted: c.started,
            countedRestarts: c.counted, backoffLimit: c.backoffLimit, rules: c.rules)
        switch decision {
        case .none:
            #expect(c.expected == "none")
        case .restart(let counted, let reason, let cause, let failure):
            #expect(c.expected == "restart \(counted ? "counted" : "uncounted") \(reason)")
            #expect(failure.rank == c.failureRank)
            if let says = c.says { #expect(cause.contains(says), "\(cause)") }
        case .fail(let reason, let message, let failure):
            #expect(c.expected == "fail \(reason)")
            #expect(failure?.rank == c.failureRank)
            if let says = c.says { #expect(message.contains(says), "\(message)") }
        case .awaitCause:
            Issue.record("no grace without a time of decision")
        }
    }

    /// An OOM-killed worker (a failure the default rules count) and a
    /// preempted one (the default rules do not count it), read from real
    /// Pod shapes.
    @Test func reasonsAreReadFromThePod() throws {
        let job = Fixtures.job()
        var oom = Fixtures.pod(job, rank: 0, .failed(137, finishedAt: 5))
        oom.status?.containerStatuses = [ContainerStatus(name: "worker", state: ContainerState(
            terminated: .init(exitCode: 137, reason: "OOMKilled", finishedAt: Fixtures.time(5))))]
        var preempted = Fixtures.pod(job, rank: 1, .running)
        preempted.status?.phase = "Failed"
        preempted.status?.conditions = [PodCondition(type: "DisruptionTarget", status: "True", reason: "PreemptionByScheduler")]
        preempted.status?.containerStatuses = [
            ContainerStatus(name: "worker", state: ContainerState(terminated: .init(exitCode: 143, reason: "Error"))),
            ContainerStatus(name: "helper", state: ContainerState(terminated: .init(exitCode: 2, reason: "Error"))),
        ]
        let oomWorker = WorkerObservation(oom)
        let preemptedWorker = WorkerObservation(preempted)
        #expect(oomWorker.failureReasons == [.oomKilled])
        #expect(preemptedWorker.failureReasons == [.preempted])
        #expect(preemptedWorker.failureEvidence.exitCodes == ["worker": 143, "helper": 2])

        let fatalOOM = FailurePolicy.decide(
            workers: [oomWorker], expectedWorkers: 2, allWorkersStarted: false, countedRestarts: 0, backoffLimit: 3,
            rules: [.reasons(.failJob, [.oomKilled])])
        guard case .fail(let reason, _, _) = fatalOOM else {
            Issue.record("expected FailJob, got \(fatalOOM)")
            return
        }
        #expect(reason == TrainingJobReason.failurePolicyRule)
        let helperRule = FailurePolicy.decide(
            workers: [preemptedWorker], expectedWorkers: 2, allWorkersStarted: false, countedRestarts: 0, backoffLimit: 3,
            rules: [.exitCodes(.failJob, .in, [2], containerName: "helper")])
        guard case .fail = helperRule else {
            Issue.record("expected FailJob on the helper's exit code, got \(helperRule)")
            return
        }
        let defaults = FailurePolicy.decide(
            workers: [preemptedWorker], expectedWorkers: 2, allWorkersStarted: false, countedRestarts: 3, backoffLimit: 3)
        guard case .restart(counted: false, _, _, _) = defaults else {
            Issue.record("expected an uncounted restart, got \(defaults)")
            return
        }
    }

    /// The planner puts the rule into the Failed condition, the status'
    /// failure and the Failed event.
    @Test func thePlannerReportsTheRuleThatFailedTheJob() throws {
        var running = Fixtures.job(status: Fixtures.status(.running))
        running.spec.runPolicy.failurePolicy = FailurePolicySpec(rules: [.exitCodes(.failJob, .in, [42])])
        let pods = [
            Fixtures.pod(running, rank: 0, .running),
            Fixtures.pod(running, rank: 1, .failed(42, finishedAt: 50, message: "fault injection: exit code 42")),
        ]
        let plan = try TrainingJobPlanner().plan(Fixtures.observe(running, pods), now: Fixtures.at(100))
        #expect(plan.status.phase == .failed)
        #expect(plan.status.restartCount == nil || plan.status.restartCount == 0)
        let condition = try #require(plan.status.condition(.failed))
        #expect(condition.reason == "FailurePolicyRule")
        #expect(condition.message
            == "Worker mnist-worker-1 failed with exit code 42 (Error): fault injection: exit code 42; "
            + "spec.runPolicy.failurePolicy.rules[0] (FailJob) matches it, so the job fails without restarting.")
        #expect(plan.status.failure?.exitCode == 42 && plan.status.failure?.rank == 1)
        #expect(plan.events == [PlannedEvent(.warning, "Failed", "Failed (FailurePolicyRule): \(condition.message)")])
    }
}

/// `spec.processesPerWorker` and the `PET_*` variables torchrun reads.
@Suite struct TorchrunEnvironmentTests {
    static func env(_ job: TrainingJob, rank: Int) throws -> [String: String] {
        let pod = WorkerPodBuilder.build(job, rank: rank, attempt: 0, settings: WorkerPodSettings()).pod
        let env = try #require(pod.spec?.containers.first?.env)
        return Dictionary(env.compactMap { v in v.value.map { (v.name, $0) } }, uniquingKeysWith: { $1 })
    }

    @Test(arguments: [(workers: 2, processes: 2), (workers: 3, processes: 1), (workers: 1, processes: 4)])
    func everyWorkerGetsTheTorchrunVariables(_ c: (workers: Int, processes: Int)) throws {
        var job = Fixtures.job(workers: c.workers)
        job.spec.hyperparameters.batchSize = 12 * c.workers
        job.spec.processesPerWorker = c.processes
        job.spec.image = "example.com/torch:2"
        job.spec.command = ["torchrun", "/workspace/train.py"]
        #expect(job.validate() == [])
        for rank in 0..<c.workers {
            let env = try Self.env(job, rank: rank)
            #expect(env["PET_NNODES"] == String(c.workers))
            #expect(env["PET_NPROC_PER_NODE"] == String(c.processes))
            #expect(env["PET_NODE_RANK"] == String(rank))
            #expect(env["PET_MASTER_ADDR"] == "mnist-worker-0.mnist.ml.svc")
            #expect(env["PET_MASTER_ADDR"] == env["MASTER_ADDR"])
            #expect(env["PET_MASTER_PORT"] == env["MASTER_PORT"] && env["MASTER_PORT"] != nil)
            // WORLD_SIZE counts every process; RANK is the worker's index (torchrun rewrites both per process).
            #expect(env["WORLD_SIZE"] == String(c.workers * c.processes))
            #expect(env["RANK"] == String(rank))
        }
    }

    @Test func theRingmasterWorkerReadsOneProcessPerWorkerAndRejectsMore() throws {
        let job = Fixtures.job(workers: 2)
        var env = try Self.env(job, rank: 1)
        env[WorkerEnvironment.Key.authToken] = "t"
        let parsed = try WorkerEnvironment(environment: env)
        #expect(parsed.worldSize == 2 && parsed.nodes == 2 && parsed.processesPerNode == 1 && parsed.rank == 1)
        env["PET_NPROC_PER_NODE"] = "2"
        #expect(throws: WorkerEnvironmentError.self) { try WorkerEnvironment(environment: env) }
    }

    @Test func theTemplateCannotOverrideThem() throws {
        var job = Fixtures.job(workers: 2, template: PodTemplateOverlay(env: [EnvVar(name: "PET_NNODES", value: "9")]))
        job.spec.image = "example.com/torch:2"
        let built = WorkerPodBuilder.build(job, rank: 0, attempt: 0, settings: WorkerPodSettings())
        let values = built.pod.spec?.containers.first?.env?.filter { $0.name == "PET_NNODES" }.map(\.value)
        #expect(values == ["2"])
        #expect(job.validate().map(\.field) == ["spec.template.env[0].name"])
    }
}
