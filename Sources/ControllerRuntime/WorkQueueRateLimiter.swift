import KubeClient

/// How long a failed item waits before it is retried: the longer of a
/// per-item exponential backoff (`baseDelay * 2^failures`, capped at
/// `maxDelay`) and an overall token bucket shared by all items, as client-go's
/// default controller rate limiter. Safe to call concurrently.
public actor WorkQueueRateLimiter<Key: Hashable & Sendable> {
    public nonisolated let baseDelay: Duration
    public nonisolated let maxDelay: Duration
    private let bucket: TokenBucketRateLimiter?
    private var failures: [Key: Int] = [:]

    /// - Parameters: defaults are client-go's: 5 ms doubling to 1000 s, 10 qps with a burst of 100.
    public init(baseDelay: Duration = .milliseconds(5), maxDelay: Duration = .seconds(1000),
                qps: Double? = 10, burst: Int = 100, clock: any RuntimeClock = SystemClock()) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.bucket = qps.map { TokenBucketRateLimiter(qps: $0, burst: burst, clock: clock) }
    }

    /// Records one more failure of `key` and returns how long to wait.
    public func when(_ key: Key) async -> Duration {
        let count = failures[key, default: 0]
        failures[key] = count + 1
        let exponent = min(count, 40)
        var itemDelay = baseDelay * (1 << min(exponent, 30))
        if exponent > 30 || itemDelay > maxDelay { itemDelay = maxDelay }
        let overall = await bucket?.reserve() ?? .zero
        return max(itemDelay, overall)
    }

    /// Failures recorded for `key` since it was last forgotten.
    public func retries(_ key: Key) -> Int { failures[key, default: 0] }

    /// Clears the failure count of `key` (after it succeeded).
    public func forget(_ key: Key) { failures[key] = nil }
}
