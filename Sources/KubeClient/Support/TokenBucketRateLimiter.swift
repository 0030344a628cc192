/// A token bucket: `qps` tokens per second, at most `burst` saved up.
///
/// `acquire()` reserves the next token and waits (on the injected clock) until
/// it is due, so concurrent callers are served in order. Safe to call
/// concurrently.
public actor TokenBucketRateLimiter {
    public nonisolated let qps: Double
    public nonisolated let burst: Int
    private let clock: any RuntimeClock
    private var tokens: Double
    private var last: Duration

    /// - Precondition: `qps > 0`, `burst >= 1`.
    public init(qps: Double, burst: Int, clock: any RuntimeClock = SystemClock()) {
        precondition(qps > 0 && burst >= 1, "a token bucket needs qps > 0 and burst >= 1")
        self.qps = qps
        self.burst = burst
        self.clock = clock
        self.tokens = Double(burst)
        self.last = clock.now()
    }

    /// How long a caller arriving now would wait, consuming a token.
    public func reserve() -> Duration {
        let now = clock.now()
        let elapsed = now - last
        last = now
        tokens = min(Double(burst), tokens + seconds(elapsed) * qps)
        tokens -= 1
        if tokens >= 0 { return .zero }
        return .nanoseconds(Int64((-tokens / qps * 1e9).rounded(.up)))
    }

    /// Waits until a token is available. Throws `CancellationError` if cancelled.
    public func acquire() async throws {
        let wait = reserve()
        if wait > .zero { try await clock.sleep(for: wait) }
    }

    /// Takes a token if one is available now, without waiting.
    public func tryAcquire() -> Bool {
        let now = clock.now()
        tokens = min(Double(burst), tokens + seconds(now - last) * qps)
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}

@inline(__always)
func seconds(_ duration: Duration) -> Double {
    let (s, atto) = duration.components
    return Double(s) + Double(atto) / 1e18
}
