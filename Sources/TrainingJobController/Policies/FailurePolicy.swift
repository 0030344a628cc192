import Foundation
import TrainingJobAPI

/// What a worker failure means for the whole ring (gang semantics).
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
/// - When the only failures seen are ring failures (exit code 10: a rank
///   lost its peers) while other workers have not finished, the worker that
///   caused them is usually about to be reported: the decision waits up to
///   `causeGraceSeconds` after the first of them, so that the cause, not a
///   peer that lost it, is named.
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

    /// Decides over the Pods of the current attempt.
    ///
    /// - Parameters:
    ///   - workers: the current attempt's Pods.
    ///   - expectedWorkers: `spec.workers`.
    ///   - allWorkersStarted: whether every worker was seen running in this
    ///     attempt (phase Running): then a missing Pod was deleted by someone.
    ///   - countedRestarts: restarts so far that count toward `backoffLimit`.
    ///   - now: the time of the decision; nil decides at once (no grace for
    ///     ring failures).
    public static func decide(
        workers: [WorkerObservation], expectedWorkers: Int, allWorkersStarted: Bool,
        countedRestarts: Int, backoffLimit: Int, now: Date? = nil
    ) -> Decision {
        let failed = workers.filter { $0.phase == .failed }
        if let permanent = failed.filter({ $0.exitCode == WorkerExitCode.invalidInput.rawValue }).min(by: order) {
            let failure = failureStatus(permanent)
            return .fail(
                reason: TrainingJobReason.workerInvalidInput,
                message: "Worker \(permanent.name) rejected its input (exit code \(WorkerExitCode.invalidInput.rawValue)): \(permanent.message ?? "no message"). Fix the spec and create the job again.",
                failure: failure)
        }
        if let unpullable = workers.filter(\.imagePullFailed).min(by: order) {
            var failure = failureStatus(unpullable)
            failure.reason = unpullable.waitingReason
            return .fail(
                reason: TrainingJobReason.imagePullFailed,
                message: "Worker \(unpullable.name) cannot start: \(unpullable.waitingReason ?? "ErrImagePull"): \(unpullable.message ?? "the image cannot be pulled"). Fix spec.image and create the job again.",
                failure: failure)
        }
        let counted = failed.filter { !$0.disrupted }
        if let now, !counted.isEmpty,
           counted.allSatisfy({ $0.exitCode == WorkerExitCode.ringFailure.rawValue }),
           workers.contains(where: { !$0.isFinished && !$0.terminating }),
           let firstFailure = counted.compactMap(\.finishedAt).min()
        {
            let due = firstFailure.addingTimeInterval(causeGraceSeconds)
            if now < due { return .awaitCause(.milliseconds(Int64((due.timeIntervalSince(now) * 1000).rounded(.up)))) }
        }
        if let first = counted.min(by: order) {
            let failure = failureStatus(first)
            let cause = "worker \(first.name) failed" + (first.exitCode.map { " with exit code \($0)" } ?? "")
                + (first.reason.map { " (\($0))" } ?? "") + (first.message.map { ": \($0)" } ?? "")
            if countedRestarts >= backoffLimit {
                return .fail(
                    reason: TrainingJobReason.backoffLimitExceeded,
                    message: "The ring failed \(countedRestarts + 1) times, more than backoffLimit (\(backoffLimit)) allows; last: \(cause).",
                    failure: failure)
            }
            return .restart(counted: true, reason: TrainingJobReason.workerFailed, cause: cause, failure: failure)
        }
        if let disrupted = failed.min(by: order) ?? workers.filter({ $0.terminating }).min(by: order) {
            var failure = failureStatus(disrupted)
            if disrupted.terminating && !disrupted.isFinished {
                failure.reason = failure.reason ?? "Deleted"
                failure.message = failure.message ?? "the Pod was deleted"
            }
            return .restart(
                counted: false, reason: TrainingJobReason.evicted,
                cause: "worker \(disrupted.name) was \(disrupted.reason ?? "deleted") (not counted toward backoffLimit)",
                failure: failure)
        }
        if allWorkersStarted {
            let present = Set(workers.compactMap(\.rank))
            if let missing = (0..<expectedWorkers).first(where: { !present.contains($0) }) {
                return .restart(
                    counted: false, reason: TrainingJobReason.evicted,
                    cause: "worker rank \(missing) disappeared (not counted toward backoffLimit)",
                    failure: FailureStatus(rank: missing, reason: "Deleted", message: "the Pod was deleted"))
            }
        }
        return .none
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
