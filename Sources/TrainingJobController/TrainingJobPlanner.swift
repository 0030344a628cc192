import Foundation
import KubeClient
import TrainingJobAPI

/// The pure heart of the reconciler: from what is observed and the time,
/// the status the job should have and the writes that bring the world in
/// line. No I/O, no clock: `now` is a parameter.
///
/// State lives only in the API: the phase, `restartCount` (the current
/// restart attempt, also the `restart-attempt` label of the Pods it
/// created), `disruptions` (how many of those restarts do not count toward
/// `backoffLimit`, changed in the same status write as the restart), the
/// Restarting condition's `lastTransitionTime` (when the current restart
/// began, for backoff) and the Running condition's (for stall detection).
/// The reconciler writes the status before it acts, so an operator killed at
/// any point finds the decision it made and carries it out; a restart and
/// its bookkeeping land together or not at all.
public struct TrainingJobPlanner: Sendable {
    public var settings: WorkerPodSettings

    public init(settings: WorkerPodSettings = WorkerPodSettings()) {
        self.settings = settings
    }

    public func plan(_ observed: ObservedTrainingJob, now: Date) throws(StaleObservationError) -> ReconcilePlan {
        var builder = PlanBuilder(observed: observed, settings: settings, now: now)
        try builder.run()
        return builder.plan
    }
}

/// One planning pass; see `TrainingJobPlanner`.
struct PlanBuilder {
    let job: TrainingJob
    let spec: TrainingJobSpec
    let observed: ObservedTrainingJob
    let settings: WorkerPodSettings
    let now: Date
    let nowText: String
    let old: TrainingJobStatus
    let names: ChildNames
    var plan: ReconcilePlan

    init(observed: ObservedTrainingJob, settings: WorkerPodSettings, now: Date) {
        self.job = observed.job
        self.spec = observed.job.spec
        self.observed = observed
        self.settings = settings
        self.nowText = RFC3339.format(now)
        // Times are kept to the second, as written.
        self.now = RFC3339.parse(nowText) ?? now
        self.old = observed.job.status ?? TrainingJobStatus()
        self.names = observed.job.childNames
        self.plan = ReconcilePlan(status: old)
    }

    var generation: Int64? { job.metadata.generation }
    var attempt: Int { old.restartCount ?? 0 }

    /// Restarts so far that were disruptions (`status.disruptions`), at most `attempt`.
    var disruptions: Int { min(max(old.disruptions ?? 0, 0), attempt) }

    mutating func run() throws(StaleObservationError) {
        if job.metadata.deletionTimestamp != nil { return }
        let workers = observed.pods.map(WorkerObservation.init).sorted { ($0.rank ?? .max, $0.name) < ($1.rank ?? .max, $1.name) }
        if let newer = workers.first(where: { ($0.attempt ?? 0) > attempt }) {
            throw StaleObservationError(
                message: "Pod \(newer.name) is of restart attempt \(newer.attempt ?? 0) but the job's status says \(attempt); waiting for the cache")
        }
        let current = workers.filter { $0.attempt == attempt }
        let stale = workers.filter { $0.attempt != attempt }
        let live = current.filter { !$0.terminating }
        plan.status.observedGeneration = generation
        if plan.status.restartCount == nil { plan.status.restartCount = 0 }
        updateCounts(live)

        if let phase = old.phase, phase.isFinished {
            maintainFinished(workers)
            return
        }
        let problems = job.validate()
        if !problems.isEmpty {
            finish(.failed, reason: TrainingJobReason.invalidSpec,
                   message: "Invalid spec: " + problems.map(\.description).joined(separator: "; "),
                   failure: nil, workers: workers)
            return
        }
        if !old.isTrue(.created) {
            plan.status.setCondition(
                .created, status: ConditionStatus.true, reason: TrainingJobReason.jobCreated,
                message: "The job was accepted; creating its workers.", now: nowText, observedGeneration: generation)
            if old.phase == nil {
                plan.status.setPhase(
                    .pending, reason: TrainingJobReason.waitingForWorkers, message: "Creating \(spec.workers) workers.",
                    now: nowText, observedGeneration: generation)
            }
            plan.events.append(PlannedEvent(.normal, "Created", "Created the job's Service, Secret, claim and RBAC; creating \(spec.workers) workers."))
            plan.transitions.insert(.created)
        }
        ensureChildren()
        for worker in stale where !worker.terminating {
            plan.actions.append(.deletePod(name: worker.name, uid: worker.uid))
        }

        if spec.runPolicy.suspend {
            suspend(current)
            return
        }
        var resumed = false
        if old.phase == .suspended {
            if !workers.isEmpty {
                plan.status.message = "Resuming once \(workers.count) worker(s) have stopped."
                return
            }
            resume()
            resumed = true
        }

        switch DeadlinePolicy.decide(
            startTime: old.startTime.flatMap(RFC3339.parse), activeDeadlineSeconds: spec.runPolicy.activeDeadlineSeconds, now: now)
        {
        case .exceeded(let message):
            finish(.failed, reason: TrainingJobReason.deadlineExceeded, message: message, failure: nil, workers: workers)
            return
        case .remaining(let delay): plan.requeue(after: delay)
        case .none: break
        }

        if let rankZero = SuccessPolicy.succeeded(current) {
            _ = rankZero
            finish(.succeeded, reason: TrainingJobReason.trainingSucceeded,
                   message: "Training finished; rank 0 wrote the model.", failure: nil, workers: workers)
            return
        }

        let countedRestarts = attempt - disruptions
        let wasRunning = old.phase == .running && !resumed
        switch FailurePolicy.decide(
            workers: current, expectedWorkers: spec.workers, allWorkersStarted: wasRunning,
            countedRestarts: countedRestarts, backoffLimit: spec.runPolicy.backoffLimit,
            rules: spec.runPolicy.failurePolicy?.rules ?? [], now: now)
        {
        case .fail(let reason, let message, let failure):
            finish(.failed, reason: reason, message: message, failure: failure, workers: workers)
            return
        case .restart(let counted, let reason, let cause, let failure):
            restart(counted: counted, reason: reason, cause: cause, failure: failure, workers: workers)
            return
        case .awaitCause(let delay):
            plan.status.message = "A worker lost its ring peers; waiting for the failed peer to be reported."
            plan.requeue(after: delay)
            return
        case .none:
            break
        }

        if wasRunning {
            let runningSince = old.condition(.running).flatMap { RFC3339.parse($0.lastTransitionTime) }
            switch StallPolicy.decide(
                runningSince: runningSince, progress: old.progress, ranks: old.ranks, attempt: attempt,
                workers: spec.workers, names: names, progressDeadlineSeconds: spec.runPolicy.progressDeadlineSeconds, now: now)
            {
            case .stalled(let cause, let failure):
                if countedRestarts >= spec.runPolicy.backoffLimit {
                    finish(.failed, reason: TrainingJobReason.backoffLimitExceeded,
                           message: "The ring failed \(countedRestarts + 1) times, more than backoffLimit (\(spec.runPolicy.backoffLimit)) allows; last: stalled: \(cause).",
                           failure: failure, workers: workers)
                } else {
                    restart(counted: true, reason: TrainingJobReason.stalled, cause: cause, failure: failure, workers: workers)
                }
                return
            case .remaining(let delay): plan.requeue(after: delay)
            case .none: break
            }
        }

        if old.phase == .restarting {
            let stopping = workers.filter { $0.attempt != attempt }
            if !stopping.isEmpty {
                plan.status.message = "Restarting: waiting for \(stopping.count) worker(s) of the previous attempt to stop."
                return
            }
            if current.isEmpty {
                let began = old.condition(.restarting).flatMap { RFC3339.parse($0.lastTransitionTime) } ?? now
                let delay = FailurePolicy.backoff(baseSeconds: spec.runPolicy.restartBackoffSeconds, restart: attempt)
                let due = began.addingTimeInterval(Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
                if now < due {
                    plan.status.message = "Restarting: backing off until \(RFC3339.format(due)) before restart \(attempt)."
                    plan.requeue(after: duration(due.timeIntervalSince(now)))
                    return
                }
            }
        }

        if childrenMissing {
            // Workers are created once their Service, Secret, claim and RBAC
            // are observed, so that no worker waits on a missing child.
            plan.status.message = "Creating the job's Service, Secret, claim and RBAC."
            plan.requeue(after: .seconds(1))
            return
        }
        createMissingWorkers(workers)
        settlePhase(live)
    }

    // MARK: steps

    mutating func updateCounts(_ live: [WorkerObservation]) {
        let counts = WorkerCounts(
            active: live.filter { !$0.isFinished }.count,
            ready: live.filter(\.ready).count,
            succeeded: live.filter { $0.phase == .succeeded }.count,
            failed: live.filter { $0.phase == .failed }.count)
        plan.status.workers = counts
        plan.status.workersReady = "\(counts.ready)/\(spec.workers)"
    }

    /// Whether a child the workers need is not yet observed.
    var childrenMissing: Bool {
        var needed = Set(ObservedTrainingJob.Child.allCases)
        if spec.storage.existingClaim != nil { needed.remove(.storageClaim) }
        return !needed.isSubset(of: observed.presentChildren)
    }

    mutating func ensureChildren() {
        let present = observed.presentChildren
        if !present.contains(.service) { plan.actions.append(.createService(HeadlessServiceBuilder.build(job))) }
        if !present.contains(.ringTokenSecret) { plan.actions.append(.createRingTokenSecret) }
        if !present.contains(.serviceAccount) { plan.actions.append(.createServiceAccount(WorkerRBACBuilder.serviceAccount(job))) }
        if !present.contains(.role) { plan.actions.append(.createRole(WorkerRBACBuilder.role(job))) }
        if !present.contains(.roleBinding) { plan.actions.append(.createRoleBinding(WorkerRBACBuilder.roleBinding(job))) }
        if !present.contains(.storageClaim), let claim = VolumeClaimPolicy.desiredClaim(job) {
            plan.actions.append(.createClaim(claim))
        }
    }

    mutating func suspend(_ current: [WorkerObservation]) {
        let running = current.filter { !$0.terminating }
        for worker in running { plan.actions.append(.deletePod(name: worker.name, uid: worker.uid)) }
        let stopping = current.count
        let message = stopping == 0
            ? "Suspended; the claim and its checkpoint are kept."
            : "Suspended; stopping \(stopping) worker(s); the claim and its checkpoint are kept."
        if old.phase != .suspended {
            plan.status.setPhase(.suspended, reason: TrainingJobReason.jobSuspended, message: message, now: nowText, observedGeneration: generation)
            plan.status.startTime = nil
            plan.events.append(PlannedEvent(.normal, "Suspended", "Suspended: deleting \(running.count) worker(s); the checkpoint is kept."))
            plan.transitions.insert(.suspended)
        } else {
            plan.status.setPhase(.suspended, reason: TrainingJobReason.jobSuspended, message: message, now: nowText, observedGeneration: generation)
        }
    }

    mutating func resume() {
        plan.status.setPhase(
            .pending, reason: TrainingJobReason.waitingForWorkers, message: "Resumed; creating \(spec.workers) workers.",
            now: nowText, observedGeneration: generation)
        plan.status.setCondition(
            .suspended, status: ConditionStatus.false, reason: TrainingJobReason.jobResumed,
            message: "The job was resumed; training continues from the last checkpoint.", now: nowText, observedGeneration: generation)
        plan.events.append(PlannedEvent(.normal, "Resumed", "Resumed: recreating \(spec.workers) worker(s) from the last checkpoint."))
        plan.transitions.insert(.resumed)
    }

    /// Starts restart `attempt + 1`: the status (restart count, disruption
    /// count, failure, phase Restarting with `reason`) first, then the
    /// deletions. The Restarting event carries reason `Restarting` (as every
    /// lifecycle event is named for its transition) and a message that leads
    /// with the cause's reason: `Restart 2 (Stalled): <cause>`.
    mutating func restart(counted: Bool, reason: String, cause: String, failure: FailureStatus, workers: [WorkerObservation]) {
        let next = attempt + 1
        // A termination message may end the cause with a period of its own.
        let cause = cause.hasSuffix(".") ? String(cause.dropLast()) : cause
        let message = "Restarting the ring from the last checkpoint: \(cause)."
        plan.status.restartCount = next
        if !counted { plan.status.disruptions = disruptions + 1 }
        plan.status.failure = failure
        plan.status.setPhase(.restarting, reason: reason, message: message, now: nowText, observedGeneration: generation)
        // The Restarting condition's time marks when this restart began (backoff counts from it).
        if let index = plan.status.conditions.firstIndex(where: { $0.type == TrainingJobConditionType.restarting.rawValue }) {
            plan.status.conditions[index].lastTransitionTime = nowText
        }
        for worker in workers where !worker.terminating {
            if !plan.actions.contains(.deletePod(name: worker.name, uid: worker.uid)) {
                plan.actions.append(.deletePod(name: worker.name, uid: worker.uid))
            }
        }
        plan.events.append(PlannedEvent(.warning, "Restarting", "Restart \(next) (\(reason)): \(cause); resuming from the last checkpoint."))
        plan.transitions.insert(.restarted)
        plan.requeue(after: FailurePolicy.backoff(baseSeconds: spec.runPolicy.restartBackoffSeconds, restart: next))
    }

    mutating func finish(_ phase: TrainingJobPhase, reason: String, message: String, failure: FailureStatus?, workers: [WorkerObservation]) {
        plan.status.setPhase(phase, reason: reason, message: message, now: nowText, observedGeneration: generation)
        plan.status.completionTime = nowText
        if let failure { plan.status.failure = failure }
        if phase == .succeeded {
            plan.events.append(PlannedEvent(.normal, "Succeeded", message))
            plan.transitions.insert(.succeeded)
        } else {
            plan.events.append(PlannedEvent(.warning, "Failed", "Failed (\(reason)): \(message)"))
            plan.transitions.insert(.failed)
        }
        plan.actions.removeAll { if case .deletePod = $0 { return true } else { return false } }
        for worker in spec.runPolicy.cleanPodPolicy.podsToDelete(workers) {
            plan.actions.append(.deletePod(name: worker.name, uid: worker.uid))
        }
        if case .remaining(let delay) = TTLPolicy.decide(
            completionTime: now, ttlSecondsAfterFinished: spec.runPolicy.ttlSecondsAfterFinished, now: now)
        {
            plan.requeue(after: delay)
        } else if spec.runPolicy.ttlSecondsAfterFinished == 0 {
            plan.actions.append(.deleteJob)
        }
    }

    /// A finished job: keep its clean-pod policy true and delete it when its TTL ends.
    mutating func maintainFinished(_ workers: [WorkerObservation]) {
        for worker in spec.runPolicy.cleanPodPolicy.podsToDelete(workers) {
            plan.actions.append(.deletePod(name: worker.name, uid: worker.uid))
        }
        switch TTLPolicy.decide(
            completionTime: old.completionTime.flatMap(RFC3339.parse),
            ttlSecondsAfterFinished: spec.runPolicy.ttlSecondsAfterFinished, now: now)
        {
        case .expired: plan.actions.append(.deleteJob)
        case .remaining(let delay): plan.requeue(after: delay)
        case .none: break
        }
    }

    mutating func createMissingWorkers(_ workers: [WorkerObservation]) {
        let existing = Set(workers.map(\.name))
        var collisions: [OverlayCollision] = []
        var created = 0
        for rank in 0..<spec.workers where !existing.contains(names.worker(rank)) {
            let output = WorkerPodBuilder.build(job, rank: rank, attempt: attempt, settings: settings)
            plan.actions.append(.createPod(output.pod, collisions: output.collisions))
            for collision in output.collisions where !collisions.contains(collision) { collisions.append(collision) }
            created += 1
        }
        if created > 0 && old.startTime == nil { plan.status.startTime = nowText }
        for collision in collisions {
            plan.events.append(PlannedEvent(.warning, "TemplateOverridden", collision.description))
        }
    }

    mutating func settlePhase(_ live: [WorkerObservation]) {
        let running = live.filter { $0.phase == .running }.count
        if running == spec.workers && live.count == spec.workers {
            if old.phase != .running {
                let message = "All \(spec.workers) workers are running."
                plan.status.setPhase(.running, reason: TrainingJobReason.allWorkersRunning, message: message, now: nowText, observedGeneration: generation)
                plan.events.append(PlannedEvent(.normal, "Started", message))
                plan.transitions.insert(.started)
            }
            if let seconds = spec.runPolicy.progressDeadlineSeconds, old.phase != .running {
                plan.requeue(after: .seconds(seconds))
            }
            return
        }
        let finished = live.filter { $0.phase == .succeeded }.count
        if old.phase == .running && plan.status.phase == .running && finished > 0 && running + finished == spec.workers {
            // Ranks that finished first wait for rank 0 to write the model: the
            // ring is done training, not back to Pending.
            plan.status.message = "Finishing: \(finished)/\(spec.workers) workers done; waiting for rank 0."
            return
        }
        let diagnosis = SchedulingDiagnostics.summary(live, expectedWorkers: spec.workers)
        let message = diagnosis ?? "Waiting for workers: \(running)/\(spec.workers) running."
        if plan.status.phase == .restarting {
            plan.status.message = message
        } else {
            plan.status.setPhase(.pending, reason: TrainingJobReason.waitingForWorkers, message: message, now: nowText, observedGeneration: generation)
        }
    }
}
