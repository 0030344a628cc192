import Foundation

/// The source of time for everything that waits: rate limiters, retries,
/// backoff, leases and resyncs. Injected so that tests advance time instead of
/// sleeping.
public protocol RuntimeClock: Sendable {
    /// Monotonic time since an arbitrary origin fixed for this clock.
    func now() -> Duration
    /// Suspends for `duration` of this clock's time; throws `CancellationError`
    /// when the task is cancelled.
    func sleep(for duration: Duration) async throws
    /// Wall-clock time, for timestamps written into objects.
    func wallClock() -> Date
}

extension RuntimeClock {
    /// Suspends until `now() >= deadline`.
    public func sleep(until deadline: Duration) async throws {
        let remaining = deadline - now()
        if remaining > .zero { try await sleep(for: remaining) } else { try Task.checkCancellation() }
    }
}

/// Real time: `ContinuousClock` for durations and `Date()` for timestamps.
public struct SystemClock: RuntimeClock {
    private let origin = ContinuousClock.now

    public init() {}

    public func now() -> Duration { ContinuousClock.now - origin }

    public func sleep(for duration: Duration) async throws {
        try await ContinuousClock().sleep(for: duration)
    }

    public func wallClock() -> Date { Date() }
}

/// A clock that only moves when told to: `advance(by:)` wakes every sleeper
/// whose deadline has been reached. Safe to use from any task.
///
/// The test double for `RuntimeClock`, shipped with the library so that code
/// built on it (leases, backoff, rate limits) can be tested without sleeping.
public final class ManualClock: RuntimeClock, @unchecked Sendable {
    private struct Sleeper {
        var deadline: Duration
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Duration = .zero
        var wallOrigin: Date
        var nextID = 0
        var sleepers: [Int: Sleeper] = [:]
        var cancelledBeforeRegistration: Set<Int> = []
    }

    private let state: LockedState<State>

    /// - Parameter wallOrigin: the wall-clock time that monotonic zero maps to.
    public init(wallOrigin: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        state = LockedState(State(wallOrigin: wallOrigin))
    }

    public func now() -> Duration { state.withLock { $0.now } }

    public func wallClock() -> Date {
        state.withLock { state in
            let (seconds, attoseconds) = state.now.components
            return state.wallOrigin.addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
        }
    }

    /// The number of tasks currently suspended in `sleep`.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// The earliest deadline among current sleepers, if any.
    public var nextDeadline: Duration? { state.withLock { $0.sleepers.values.map(\.deadline).min() } }

    public func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: (any Error)?? = state.withLock { state in
                    if state.cancelledBeforeRegistration.remove(id) != nil { return .some(CancellationError()) }
                    let deadline = state.now + duration
                    if deadline <= state.now { return .some(nil) }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return .none
                }
                switch resumeNow {
                case .none: break
                case .some(.none): continuation.resume()
                case .some(.some(let error)): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                if let sleeper = state.sleepers.removeValue(forKey: id) { return sleeper }
                state.cancelledBeforeRegistration.insert(id)
                return nil
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes the sleepers that are due.
    public func advance(by duration: Duration) {
        let due = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.now += duration
            let now = state.now
            let ids = state.sleepers.filter { $0.value.deadline <= now }.map(\.key)
            return ids.compactMap { state.sleepers.removeValue(forKey: $0)?.continuation }
        }
        for continuation in due { continuation.resume() }
    }

    /// Advances to the earliest sleeper's deadline (if any) and wakes it.
    /// Returns false when nobody is sleeping.
    @discardableResult
    public func advanceToNextDeadline() -> Bool {
        guard let deadline = nextDeadline else { return false }
        let step = deadline - now()
        advance(by: step > .zero ? step : .zero)
        return true
    }
}
