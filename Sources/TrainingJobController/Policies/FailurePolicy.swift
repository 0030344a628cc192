import Foundation
import TrainingJobAPI

/// What a worker failure means for the whole ring (gang semantics).
///
/// Each failed worker (and each worker whose image cannot be pulled, or
/// whose Pod was deleted under it) is matched against the job's
/// `spec.runPolicy.failurePolicy.rules`, then `FailurePolicySpec.defaultRules`;
/// the first matching rule gives its action, and a failure no rule matches
/// gets `RestartJob`. With the default rules alone this is:
///
/// - A worker that exits with `WorkerExitCode.invalidInput` fails the job at
///   once (`WorkerInvalidInput`): retrying cannot help.
/// - A worker whose image cannot be pulled (`ErrImagePull`, `ImagePullBackOff`,
///   `InvalidImageName`) fails the job at once (`ImagePullFailed`), whether its
///   Pod is still Pending (as on a real cluster) or already Failed.
/// - A worker that was evicted, preempted, lost with its node or deleted by
///   someone else restarts the ring without counting toward `backoffLimit`.
/// - Any other failure restarts the ring and counts; past `backoffLimit`
///   counted restarts the job fails (`BackoffLimitExceeded`).
///
/// Over the workers, `FailJob` wins over `RestartJob`, which wins over
/// `RestartJobAndIgnoreBackoffLimit`; among equals, the first failure (see
/// `order`) is named. A decision made by one of the job's own rules has
/// reason `FailurePolicyRule` and a message naming the rule
/// (`spec.runPolicy.failurePolicy.rules[1]`) and the exit code.
///
/// When the only counted failures seen are ring failures (exit code 10: a
/// rank lost its peers) while other workers have not finished, the worker
/// that caused them is usually about to be reported: the decision waits up
/// to `causeGraceSeconds` after the first of them, so that the cause, not a
/// peer that lost it, is named.
public enum FailurePolicy {
    public enum Decision: Sendable, Hashable {
        /// Every worker is healthy (or the job has not started).
        case none
        /// Restart the whole ring from the last checkpoint. `cause` says why
        /// in words, without a leading capital or a final period (the planner
        /// puts it into the condition's message and the Restarting event).
        case restart(counted: Bool, reason: String, cause: String, failure: FailureStatus)
        /// Fail the job.
        case fail(reason: String, message: String, failure: FailureStatus?)
        /// Decide again after this long: only peers of the failed worker
        /// have been seen to fail so far.
        case awaitCause(Duration)
    }

    /// How long ring failures wait for their cause to be reported.
    public static let causeGraceSeconds: TimeInterval = 5

    /// The rule that decides a failure: its index in the job's own rules
    /// (`user`), or in `FailurePolicySpec.defaultRules`; nil for no match.
    public struct MatchedRule: Sendable, Hashable {
        public var index: Int
        /// Whether the rule is one of the job's own rules.
        public var user: Bool
        public var action: FailurePolicyAction

        /// `spec.runPolicy.failurePolicy.rules[i]` or `default rule i`.
        public var name: String {
            user ? "spec.runPolicy.failurePolicy.rules[\(index)]" : "default failure rule \(index)"
        }
    }

    /// The first of the job's rules, then of the default rules, that
    /// matches `evidence`; nil when none does.
    public static func match(_ evidence: FailureEvidence, rules: [FailurePolicyRule]) -> MatchedRule? {
        if let index = rules.firstIndex(where: { $0.matches(evidence) }) {
            return MatchedRule(index: index, user: true, action: rules[index].action)
        }
        if let index = FailurePolicySpec.defaultRules.firstIndex(where: { $0.matches(evidence) }) {
            return MatchedRule(index: index, user: false, action: FailurePolicySpec.defaultRules[index].action)
        }
        return nil
    }

    /// Decides over the Pods of the current attempt.
    ///
    /// - Parameters:
    ///   - workers: the current attempt's Pods.
    ///   - expectedWorkers: `spec.workers`.
    ///   - allWorkersStarted: whether every worker was seen running in this
    ///     attempt (phase Running): then a missing Pod was deleted by someone.
    ///   - countedRestarts: restarts so far that count toward `backoffLimit`.
    ///   - rules: `spec.runPolicy.failurePolicy.rules`.
    ///   - now: the time of the decision; nil decides at once (no grace for
    ///     ring failures).
    public static func decide(
        workers: [WorkerObservation], expectedWorkers: Int, allWorkersStarted: Bool,
        countedRestarts: Int, backoffLimit: Int, rules: [FailurePolicyRule] = [], now: Date? = nil
    ) -> Decision {
        let candidates = workers.filter { $0.phase == .failed || $0.imagePullFailed || ($0.terminating && !$0.isFinished) }
        let matched = candidates.map { (worker: $0, rule: match($0.failureEvidence, rules: rules)) }
        func action(_ rule: MatchedRule?) -> FailurePolicyAction { rule?.action ?? .restartJob }

        let failing = matched.filter { action($0.rule) == .failJob }
        if let first = failing.min(by: { order($0.worker, $1.worker) }) {
            return failJob(first.worker, rule: first.rule)
        }

        let counted = matched.filter { action($0.rule) == .restartJob }
        if let now, !counted.isEmpty,
           counted.allSatisfy({ $0.worker.exitCode == WorkerExitCode.ringFailure.rawValue }),
           workers.contains(where: { !$0.isFinished && !$0.terminating }),
           let firstFailure = counted.compactMap(\.worker.finishedAt).min()
        {
            let due = firstFailure.addingTimeInterval(causeGraceSeconds)
            if now < due { return .awaitCause(.milliseconds(Int64((due.timeIntervalSince(now) * 1000).rounded(.up)))) }
        }
        if let first = counted.min(by: { order($0.worker, $1.worker) }) {
            return restartCounted(
                failureStatus(first.worker), cause: describe(first.worker), rule: first.rule,
                countedRestarts: countedRestarts, backoffLimit: backoffLimit)
        }

        let uncounted = matched.filter { action($0.rule) == .restartJobAndIgnoreBackoffLimit }
        if let first = uncounted.filter({ $0.worker.phase == .failed }).min(by: { order($0.worker, $1.worker) })
            ?? uncounted.min(by: { order($0.worker, $1.worker) })
        {
            let disrupted = first.worker
            var failure = failureStatus(disrupted)
            if disrupted.terminating && !disrupted.isFinished {
                failure.reason = failure.reason ?? "Deleted"
                failure.message = failure.message ?? "the Pod was deleted"
            }
            if let rule = first.rule, rule.user {
                return .restart(
                    counted: false, reason: TrainingJobReason.failurePolicyRule,
                    cause: "\(describe(disrupted)), matching \(rule.name) (\(rule.action): not counted toward backoffLimit)",
                    failure: failure)
            }
            return .restart(
                counted: false, reason: TrainingJobReason.evicted,
                cause: "worker \(disrupted.name) was \(disrupted.reason ?? "deleted") (not counted toward backoffLimit)",
                failure: failure)
        }

        if allWorkersStarted {
            let present = Set(workers.compactMap(\.rank))
            if let missing = (0..<expectedWorkers).first(where: { !present.contains($0) }) {
                let failure = FailureStatus(rank: missing, reason: "Deleted", message: "the Pod was deleted")
                let rule = match(FailureEvidence(reasons: [.deleted]), rules: rules)
                let cause = "worker rank \(missing) disappeared"
                switch action(rule) {
                case .failJob:
                    return .fail(
                        reason: TrainingJobReason.failurePolicyRule,
                        message: "Worker rank \(missing) disappeared (Deleted), matching \(rule?.name ?? "no rule") (FailJob).",
                        failure: failure)
                case .restartJob:
                    return restartCounted(failure, cause: cause, rule: rule, countedRestarts: countedRestarts, backoffLimit: backoffLimit)
                default:
                    if let rule, rule.user {
                        return .restart(
                            counted: false, reason: TrainingJobReason.failurePolicyRule,
                            cause: "\(cause), matching \(rule.name) (\(rule.action): not counted toward backoffLimit)",
                            failure: failure)
                    }
                    return .restart(
                        counted: false, reason: TrainingJobReason.evicted,
                        cause: "\(cause) (not counted toward backoffLimit)", failure: failure)
                }
            }
        }
        return .none
    }

    /// `FailJob` for `worker`: the default rules keep their own reasons
    /// (`WorkerInvalidInput`, `ImagePullFailed`); the job's rules give
    /// `FailurePolicyRule`.
    static func failJob(_ worker: WorkerObservation, rule: MatchedRule?) -> Decision {
        var failure = failureStatus(worker)
        if let rule, rule.user {
            return .fail(
                reason: TrainingJobReason.failurePolicyRule,
                message: "W" + describe(worker).dropFirst() + "; \(rule.name) (FailJob) matches it, so the job fails without restarting.",
                failure: failure)
        }
        if let rule, FailurePolicySpec.defaultRules[rule.index].onReasons?.contains(.imagePullFailed) ?? false {
            failure.reason = worker.waitingReason ?? failure.reason
            return .fail(
                reason: TrainingJobReason.imagePullFailed,
                message: "Worker \(worker.name) cannot start: \(worker.waitingReason ?? "ErrImagePull"): \(worker.message ?? "the image cannot be pulled"). Fix spec.image and create the job again.",
                failure: failure)
        }
        return .fail(
            reason: TrainingJobReason.workerInvalidInput,
            message: "Worker \(worker.name) rejected its input (exit code \(worker.exitCode.map(String.init) ?? "none")): \(worker.message ?? "no message"). Fix the spec and create the job again.",
            failure: failure)
    }

    /// A counted restart, or `BackoffLimitExceeded` when no counted restart is left.
    static func restartCounted(
        _ failure: FailureStatus, cause: String, rule: MatchedRule?, countedRestarts: Int, backoffLimit: Int
    ) -> Decision {
        let userRule = rule.flatMap { $0.user ? $0 : nil }
        let cause = userRule.map { "\(cause), matching \($0.name) (RestartJob)" } ?? cause
        if countedRestarts >= backoffLimit {
            return .fail(
                reason: TrainingJobReason.backoffLimitExceeded,
                message: "The ring failed \(countedRestarts + 1) times, more than backoffLimit (\(backoffLimit)) allows; last: \(cause).",
                failure: failure)
        }
        return .restart(
            counted: true, reason: userRule == nil ? TrainingJobReason.workerFailed : TrainingJobReason.failurePolicyRule,
            cause: cause, failure: failure)
    }

    /// `worker <name> failed with exit code <n> (<reason>): <message>`, as far as known.
    static func describe(_ worker: WorkerObservation) -> String {
        "worker \(worker.name) failed" + (worker.exitCode.map { " with exit code \($0)" } ?? "")
            + (worker.reason.map { " (\($0))" } ?? "") + (worker.message.map { ": \($0)" } ?? "")
    }

    /// The delay before restart number `restart` (1-based) is started:
    /// `base * 2^(restart-1)`, capped at `maximumSeconds`.
    public static func backoff(baseSeconds: Int, restart: Int, maximumSeconds: Int = 300) -> Duration {
        guard baseSeconds > 0 else { return .zero }
        let exponent = min(max(restart - 1, 0), 20)
        return .seconds(min(baseSeconds << exponent, maximumSeconds))
    }

    /// The failure the job keeps in `status.failure`.
    public static func failureStatus(_ worker: WorkerObservation) -> FailureStatus {
        FailureStatus(
            rank: worker.rank, pod: worker.name, exitCode: worker.exitCode.map(Int.init),
            reason: worker.reason ?? (worker.exitCode.map { $0 == 0 ? "Completed" : "Error" }), message: worker.message)
    }

    /// The first failure: earliest to finish, then a non-ring failure
    /// (the cause rather than the peers that lost it), then the lowest rank.
    static func order(_ a: WorkerObservation, _ b: WorkerObservation) -> Bool {
        switch (a.finishedAt, b.finishedAt) {
        case let (x?, y?) where x != y: return x < y
        case (_?, nil): return true
        case (nil, _?): return false
        default: break
        }
        let ringA = a.exitCode == WorkerExitCode.ringFailure.rawValue
        let ringB = b.exitCode == WorkerExitCode.ringFailure.rawValue
        if ringA != ringB { return !ringA }
        return (a.rank ?? Int.max, a.name) < (b.rank ?? Int.max, b.name)
    }
}
