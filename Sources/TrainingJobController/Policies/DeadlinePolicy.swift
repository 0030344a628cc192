import Foundation

/// `runPolicy.activeDeadlineSeconds`, counted from `status.startTime`
/// (which is cleared while the job is suspended).
public enum DeadlinePolicy {
    public enum Decision: Sendable, Hashable {
        /// No deadline, or the job has not started.
        case none
        /// Not yet: reconcile again after this long.
        case remaining(Duration)
        case exceeded(message: String)
    }

    public static func decide(startTime: Date?, activeDeadlineSeconds: Int?, now: Date) -> Decision {
        guard let startTime, let seconds = activeDeadlineSeconds else { return .none }
        let deadline = startTime.addingTimeInterval(TimeInterval(seconds))
        if now >= deadline {
            return .exceeded(message: "The job ran longer than activeDeadlineSeconds (\(seconds)s).")
        }
        return .remaining(duration(deadline.timeIntervalSince(now)))
    }
}

/// A positive duration from seconds.
func duration(_ seconds: TimeInterval) -> Duration {
    .milliseconds(Int64((max(0, seconds) * 1000).rounded(.up)))
}
