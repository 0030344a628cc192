import Foundation

/// `runPolicy.ttlSecondsAfterFinished`: a finished job is deleted this long
/// after `status.completionTime`, on time (the reconciler is requeued for the
/// exact moment rather than waiting for a resync).
public enum TTLPolicy {
    public enum Decision: Sendable, Hashable {
        /// No TTL, or the job has not finished.
        case none
        case remaining(Duration)
        /// Delete the job now.
        case expired
    }

    public static func decide(completionTime: Date?, ttlSecondsAfterFinished: Int?, now: Date) -> Decision {
        guard let completionTime, let ttl = ttlSecondsAfterFinished else { return .none }
        let deadline = completionTime.addingTimeInterval(TimeInterval(ttl))
        if now >= deadline { return .expired }
        return .remaining(duration(deadline.timeIntervalSince(now)))
    }
}
