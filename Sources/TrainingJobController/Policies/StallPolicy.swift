import Foundation
import KubeClient
import TrainingJobAPI

/// `runPolicy.progressDeadlineSeconds`: a running ring whose progress
/// (`status.progress.lastUpdateTime`, written by rank 0) has not advanced
/// for that long is stalled and restarted (counting toward `backoffLimit`).
/// Progress is measured from the later of the last report and the moment
/// the ring started running, so a fresh ring gets the full deadline.
///
/// The rank to blame is named from the workers' heartbeats (`StallDiagnosis`).
/// While stall detection is on, every worker beats every
/// `heartbeatSeconds(progressDeadlineSeconds:)`: a sixth of the deadline,
/// between 1 and 10 seconds, so that a rank stopped when progress stopped
/// has missed several beats by the time the deadline passes. That is
/// `workers / heartbeatSeconds` status patches per second per job (a
/// 4-worker job with a deadline of 60 s or more: 0.4 per second), on top of
/// rank 0's progress reports; a job without a deadline sends none.
public enum StallPolicy {
    public enum Decision: Sendable, Hashable {
        case none
        case remaining(Duration)
        /// `message` says for how long and whom it blames; `failure` names
        /// that rank for `status.failure` (reason `Stalled`).
        case stalled(message: String, failure: FailureStatus)
    }

    /// How often each worker writes its heartbeat for a job with this
    /// progress deadline: 0 (never) without one.
    public static func heartbeatSeconds(progressDeadlineSeconds: Int?) -> Double {
        guard let deadline = progressDeadlineSeconds, deadline > 0 else { return 0 }
        return min(10, max(1, Double(deadline) / 6))
    }

    /// Decides over the job's status (pure).
    ///
    /// - Parameters:
    ///   - runningSince: when the current ring started running (the Running condition's time).
    ///   - progress: `status.progress`, rank 0's report.
    ///   - ranks: `status.ranks`, the workers' heartbeats.
    ///   - attempt: the current restart attempt; other attempts' heartbeats are ignored.
    ///   - workers: `spec.workers`.
    public static func decide(
        runningSince: Date?, progress: TrainingProgress?, ranks: [String: RankStatus]?, attempt: Int,
        workers: Int, names: ChildNames, progressDeadlineSeconds: Int?, now: Date
    ) -> Decision {
        guard let seconds = progressDeadlineSeconds, let runningSince else { return .none }
        let reported = progress?.lastUpdateTime.flatMap { RFC3339.parse($0) }
        let reference = max(runningSince, reported ?? runningSince)
        let deadline = reference.addingTimeInterval(TimeInterval(seconds))
        guard now >= deadline else { return .remaining(duration(deadline.timeIntervalSince(now))) }
        let since = Int(now.timeIntervalSince(reference))
        let last = progress?.step.map { "progress last reported at step \($0)" } ?? "no progress reported"
        let diagnosis = StallDiagnosis.diagnose(
            ranks: ranks, attempt: attempt, workers: workers, names: names,
            heartbeatSeconds: heartbeatSeconds(progressDeadlineSeconds: seconds), now: now)
        let message = "no progress for \(since)s, more than progressDeadlineSeconds (\(seconds)s), \(last); \(diagnosis.explanation)"
        return .stalled(
            message: message,
            failure: FailureStatus(rank: diagnosis.rank, pod: diagnosis.pod, reason: TrainingJobReason.stalled, message: message))
    }
}
