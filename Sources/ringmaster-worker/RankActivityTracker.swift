import Foundation
import TrainingJobAPI

/// What this rank is doing, for its heartbeat: joining the ring, inside a
/// collective (and which) or computing, and since when.
///
/// `ActivityTrackingCommunicator` calls `enter` and `leave` around every
/// collective. The trainer overlaps a step's all-reduces with its backward
/// pass, so the rank counts as in a collective while at least one is in
/// flight; the time is when it entered the first, or when it left the last.
/// Safe to call concurrently (an actor).
actor RankActivityTracker {
    private var activity: RankActivity = .joining
    private var since: Date
    private var inFlight = 0
    private var step: Int?
    private var finished = false
    private let now: @Sendable () -> Date

    init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
        self.since = now()
    }

    /// The ring is joined: the rank starts its own work.
    func joined() {
        if activity == .joining {
            activity = .computing
            since = now()
        }
    }

    /// A collective of kind `collective` (`.allReduce`, `.broadcast`, `.barrier`) begins.
    func enter(_ collective: RankActivity) {
        if inFlight == 0 {
            activity = collective
            since = now()
        }
        inFlight += 1
    }

    /// A collective ended (returned or threw).
    func leave() {
        inFlight = max(0, inFlight - 1)
        if inFlight == 0 && activity.isCollective {
            activity = finished ? .finished : .computing
            since = now()
        }
    }

    /// Records the optimizer steps finished so far.
    func recordStep(_ step: Int) {
        self.step = step
    }

    /// Training is over; later collectives (the closing barrier) still show.
    func finish() {
        finished = true
        if inFlight == 0 {
            activity = .finished
            since = now()
        }
    }

    /// The current state, for one heartbeat.
    func snapshot() -> (activity: RankActivity, since: Date, step: Int?) {
        (activity, since, step)
    }
}
