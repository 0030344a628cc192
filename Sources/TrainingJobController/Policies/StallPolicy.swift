import Foundation
import KubeClient
import TrainingJobAPI

/// `runPolicy.progressDeadlineSeconds`: a running ring whose progress
/// (`status.progress.lastUpdateTime`, written by rank 0) has not advanced
/// for that long is stalled and restarted (counting toward `backoffLimit`).
/// Progress is measured from the later of the last report and the moment
/// the ring started running, so a fresh ring gets the full deadline.
public enum StallPolicy {
    public enum Decision: Sendable, Hashable {
        case none
        case remaining(Duration)
        case stalled(message: String)
    }

    public static func decide(
        runningSince: Date?, progress: TrainingProgress?, progressDeadlineSeconds: Int?, now: Date
    ) -> Decision {
        guard let seconds = progressDeadlineSeconds, let runningSince else { return .none }
        let reported = progress?.lastUpdateTime.flatMap { RFC3339.parse($0) }
        let reference = max(runningSince, reported ?? runningSince)
        let deadline = reference.addingTimeInterval(TimeInterval(seconds))
        if now >= deadline {
            let last = progress?.step.map { "rank 0 last reported step \($0)" } ?? "rank 0 has reported no progress"
            let since = Int(now.timeIntervalSince(reference))
            return .stalled(message: "Restarting the ring: no progress for \(since)s, more than progressDeadlineSeconds (\(seconds)s); \(last).")
        }
        return .remaining(duration(deadline.timeIntervalSince(now)))
    }
}
