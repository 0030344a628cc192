import Foundation
import KubeClient
import Testing
import TrainingJobAPI
@testable import TrainingJobController

@Suite struct FailurePolicyTests {
    typealias State = Fixtures.PodState

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var pods: [(Int, State, Bool)]
        var started = false
        var counted = 0
        var backoffLimit = 3
        var expected: String
        var failureRank: Int?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "healthy", pods: [(0, .running, false), (1, .running, false)], expected: "none"),
        Case(name: "not started, one missing", pods: [(0, .running, false)], expected: "none"),
        Case(name: "started, one missing", pods: [(0, .running, false)], started: true, expected: "restart uncounted Evicted", failureRank: 1),
        Case(name: "non-zero exit", pods: [(0, .running, false), (1, .failed(137, finishedAt: 5), false)], expected: "restart counted WorkerFailed", failureRank: 1),
        Case(name: "first failure wins over ring failures of peers",
             pods: [(0, .failed(10, finishedAt: 9), false), (1, .failed(137, finishedAt: 5), false), (2, .failed(10, finishedAt: 9), false)],
             expected: "restart counted WorkerFailed", failureRank: 1),
        Case(name: "same time: the non-ring failure is the cause",
             pods: [(0, .failed(10, finishedAt: 5), false), (1, .failed(1, finishedAt: 5), false)],
             expected: "restart counted WorkerFailed", failureRank: 1),
        Case(name: "invalid input fails at once", pods: [(0, .failed(20, finishedAt: 5, message: "dataset not found"), false), (1, .running, false)],
             expected: "fail WorkerInvalidInput", failureRank: 0),
        Case(name: "invalid input wins over a retryable failure",
             pods: [(0, .failed(137, finishedAt: 1), false), (1, .failed(20, finishedAt: 5), false)], expected: "fail WorkerInvalidInput", failureRank: 1),
        Case(name: "evicted does not count", pods: [(0, .evicted, false), (1, .running, false)], counted: 3, expected: "restart uncounted Evicted", failureRank: 0),
        Case(name: "deleted by someone else does not count", pods: [(0, .running, true), (1, .running, false)], counted: 3,
             expected: "restart uncounted Evicted", failureRank: 0),
        Case(name: "backoff limit reached", pods: [(0, .failed(1, finishedAt: 2), false), (1, .running, false)], counted: 3,
             expected: "fail BackoffLimitExceeded", failureRank: 0),
        Case(name: "backoff limit zero fails the first failure", pods: [(0, .failed(1, finishedAt: 2), false)], backoffLimit: 0,
             expected: "fail BackoffLimitExceeded", failureRank: 0),
        Case(name: "below the limit restarts", pods: [(0, .failed(1, finishedAt: 2), false)], counted: 2,
             expected: "restart counted WorkerFailed", failureRank: 0),
    ]

    @Test(arguments: cases)
    func decides(_ c: Case) {
        let job = Fixtures.job(workers: 3)
        let workers = c.pods.map { WorkerObservation(Fixtures.pod(job, rank: $0.0, $0.1, terminating: $0.2)) }
        let decision = FailurePolicy.decide(
            workers: workers, expectedWorkers: c.pods.count == 1 ? 2 : c.pods.count, allWorkersStarted: c.started,
            countedRestarts: c.counted, backoffLimit: c.backoffLimit)
        switch decision {
        case .none:
            #expect(c.expected == "none")
        case .restart(let counted, let reason, let cause, let failure):
            #expect(c.expected == "restart \(counted ? "counted" : "uncounted") \(reason)")
            #expect(failure.rank == c.failureRank)
            // The cause names the worker; the planner adds "Restarting the ring ..." around it.
            #expect(cause.contains("worker") && !cause.hasPrefix("Restarting"), "\(cause)")
        case .fail(let reason, let message, let failure):
            #expect(c.expected == "fail \(reason)")
            #expect(failure?.rank == c.failureRank)
            #expect(!message.isEmpty)
        case .awaitCause:
            Issue.record("no grace without a time of decision")
        }
    }

    /// Rank 0 lost its peer (exit 10) but the peer that died is not reported
    /// yet: the decision waits for it, up to the grace, then names the cause.
    @Test(arguments: [
        (now: 7, peer: State.running, expected: "await 3000"),
        (now: 12, peer: State.running, expected: "restart rank 0"),
        (now: 7, peer: State.failed(137, finishedAt: 5), expected: "restart rank 1"),
        (now: 7, peer: State.failed(10, finishedAt: 5), expected: "restart rank 0"),
    ] as [(now: Int, peer: State, expected: String)])
    func ringFailuresWaitBrieflyForTheirCause(_ c: (now: Int, peer: State, expected: String)) {
        let job = Fixtures.job(workers: 2)
        let workers = [
            WorkerObservation(Fixtures.pod(job, rank: 0, .failed(10, finishedAt: 5))),
            WorkerObservation(Fixtures.pod(job, rank: 1, c.peer)),
        ]
        let decision = FailurePolicy.decide(
            workers: workers, expectedWorkers: 2, allWorkersStarted: true, countedRestarts: 0, backoffLimit: 3,
            now: Fixtures.at(c.now))
        switch decision {
        case .awaitCause(let delay):
            #expect(c.expected == "await \(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)")
        case .restart(_, _, _, let failure):
            #expect(c.expected == "restart rank \(failure.rank ?? -1)")
        default:
            Issue.record("unexpected \(decision)")
        }
    }

    @Test(arguments: ["ErrImagePull", "ImagePullBackOff", "InvalidImageName"])
    func anImageThatCannotBePulledFailsAtOnce(_ waitingReason: String) {
        let pending = WorkerObservation(
            name: "mnist-worker-1", rank: 1, attempt: 0, phase: .pending,
            message: "image \"nope:1\" not found", waitingReason: waitingReason)
        let running = WorkerObservation(name: "mnist-worker-0", rank: 0, attempt: 0, phase: .running)
        let decision = FailurePolicy.decide(
            workers: [running, pending], expectedWorkers: 2, allWorkersStarted: false, countedRestarts: 0, backoffLimit: 3)
        guard case .fail(let reason, let message, let failure) = decision else {
            Issue.record("expected the job to fail, got \(decision)")
            return
        }
        #expect(reason == TrainingJobReason.imagePullFailed)
        #expect(message.contains("nope:1") && message.contains(waitingReason))
        #expect(failure?.rank == 1 && failure?.reason == waitingReason)
    }

    @Test func failureKeepsTheTerminationMessage() {
        let job = Fixtures.job()
        let worker = WorkerObservation(Fixtures.pod(job, rank: 1, .failed(20, finishedAt: 3, message: "no such file: /data/x\n")))
        let failure = FailurePolicy.failureStatus(worker)
        #expect(failure == FailureStatus(rank: 1, pod: "mnist-worker-1", exitCode: 20, reason: "Error", message: "no such file: /data/x"))
    }

    @Test(arguments: [
        (10, 1, 10), (10, 2, 20), (10, 3, 40), (10, 6, 300), (10, 60, 300), (0, 4, 0), (1, 1, 1),
    ])
    func backoffDoublesAndIsCapped(base: Int, restart: Int, seconds: Int) {
        #expect(FailurePolicy.backoff(baseSeconds: base, restart: restart) == .seconds(seconds))
    }
}

@Suite struct TimePolicyTests {
    @Test(arguments: [
        (nil, 60, 100, DeadlinePolicy.Decision.none),
        (0, nil, 100, .none),
        (0, 60, 59, .remaining(.seconds(1))),
        (0, 60, 60, .exceeded(message: "The job ran longer than activeDeadlineSeconds (60s).")),
        (10, 60, 100, .exceeded(message: "The job ran longer than activeDeadlineSeconds (60s).")),
    ] as [(Int?, Int?, Int, DeadlinePolicy.Decision)])
    func deadline(start: Int?, seconds: Int?, now: Int, expected: DeadlinePolicy.Decision) {
        #expect(DeadlinePolicy.decide(startTime: start.map(Fixtures.at), activeDeadlineSeconds: seconds, now: Fixtures.at(now)) == expected)
    }

    @Test(arguments: [
        (nil, 30, 100, TTLPolicy.Decision.none),
        (0, nil, 100, .none),
        (0, 30, 10, .remaining(.seconds(20))),
        (0, 30, 30, .expired),
        (0, 0, 0, .expired),
    ] as [(Int?, Int?, Int, TTLPolicy.Decision)])
    func ttl(completed: Int?, ttl: Int?, now: Int, expected: TTLPolicy.Decision) {
        #expect(TTLPolicy.decide(completionTime: completed.map(Fixtures.at), ttlSecondsAfterFinished: ttl, now: Fixtures.at(now)) == expected)
    }

    @Test(arguments: [
        (0, nil, nil, 100, "none"),
        (0, nil, 60, 30, "remaining 30"),
        (0, nil, 60, 60, "stalled"),
        (0, 50, 60, 100, "remaining 10"),
        (0, 50, 60, 110, "stalled"),
        (100, 50, 60, 130, "remaining 30"),
    ] as [(Int, Int?, Int?, Int, String)])
    func stall(runningSince: Int, reported: Int?, deadline: Int?, now: Int, expected: String) {
        let progress = reported.map { TrainingProgress(step: 42, lastUpdateTime: Fixtures.time($0)) }
        let decision = StallPolicy.decide(
            runningSince: Fixtures.at(runningSince), progress: progress, ranks: nil, attempt: 0, workers: 2,
            names: ChildNames(job: "mnist"), progressDeadlineSeconds: deadline, now: Fixtures.at(now))
        switch decision {
        case .none: #expect(expected == "none")
        case .remaining(let d): #expect(expected == "remaining \(d.components.seconds)")
        case .stalled(let message, let failure):
            #expect(expected == "stalled")
            let since = now - max(runningSince, reported ?? runningSince)
            #expect(message.hasPrefix("no progress for \(since)s, more than progressDeadlineSeconds (60s)"), "\(message)")
            #expect(message.contains(reported == nil ? "no progress reported" : "progress last reported at step 42"), "\(message)")
            // Without heartbeats, rank 0 (the progress reporter) is named.
            #expect(failure == FailureStatus(rank: 0, pod: "mnist-worker-0", reason: TrainingJobReason.stalled, message: message))
        }
    }
}

@Suite struct CleanPodAndDiagnosticsTests {
    @Test(arguments: [
        (CleanPodPolicy.all, ["mnist-worker-0", "mnist-worker-1", "mnist-worker-2"]),
        (.running, ["mnist-worker-2"]),
        (.none, []),
    ])
    func cleanPodPolicySelects(policy: CleanPodPolicy, deleted: [String]) {
        let job = Fixtures.job(workers: 4)
        let workers = [
            Fixtures.pod(job, rank: 0, .succeeded), Fixtures.pod(job, rank: 1, .failed(1, finishedAt: 1)),
            Fixtures.pod(job, rank: 2, .running), Fixtures.pod(job, rank: 3, .running, terminating: true),
        ].map(WorkerObservation.init)
        #expect(policy.podsToDelete(workers).map(\.name) == deleted)
    }

    @Test(arguments: [
        (["0/1 nodes are available: 1 Insufficient nvidia.com/gpu.", "0/1 nodes are available: 1 Insufficient nvidia.com/gpu."], 4,
         "2/4 workers unschedulable: Insufficient nvidia.com/gpu"),
        (["0/3 nodes are available: 1 Insufficient cpu, 2 Insufficient nvidia.com/gpu."], 2,
         "1/2 workers unschedulable: Insufficient cpu, Insufficient nvidia.com/gpu"),
        (["0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."], 1,
         "1/1 workers unschedulable: node(s) didn't match Pod's node affinity/selector"),
        ([], 2, nil),
    ] as [([String], Int, String?)])
    func schedulingDiagnosticsRollUp(messages: [String], workers: Int, expected: String?) {
        let job = Fixtures.job(workers: workers)
        var pods = messages.enumerated().map { Fixtures.pod(job, rank: $0.offset, .unschedulable($0.element)) }
        pods.append(Fixtures.pod(job, rank: messages.count, .running))
        #expect(SchedulingDiagnostics.summary(pods.map(WorkerObservation.init), expectedWorkers: workers) == expected)
    }
}

@Suite struct StatusPatchTests {
    @Test func patchesOnlyChangedOperatorFieldsWithAPrecondition() throws {
        var old = Fixtures.status(.running, startTime: 0)
        old.progress = TrainingProgress(step: 10, lastUpdateTime: Fixtures.time(5))
        old.metrics = TrainingMetrics(testAccuracy: 0.8)
        var new = old
        new.restartCount = 1
        new.startTime = nil
        new.progress = TrainingProgress(step: 0)
        let patch = try #require(try StatusPatch.make(from: old, to: new, resourceVersion: "42"))
        #expect(patch["metadata"] == ["resourceVersion": "42"])
        #expect(patch["status"] == ["restartCount": 1, "startTime": .null])
    }

    @Test func unchangedStatusNeedsNoWrite() throws {
        let old = Fixtures.status(.pending)
        var new = old
        new.checkpoint = CheckpointStatus(step: 3)
        #expect(try StatusPatch.make(from: old, to: new, resourceVersion: "1") == nil)
    }

    @Test func neverNamesWorkerFields() {
        #expect(Set(StatusPatch.operatorFields).isDisjoint(with: ["progress", "checkpoint", "metrics", "artifact"]))
    }
}
