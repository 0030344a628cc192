import KubeClient
import Metrics

/// A queue of keys to reconcile, with client-go's guarantees:
///
/// - a key waiting in the queue is held once, however often it is added;
/// - a key handed to a worker (`get`) is not handed out again until that
///   worker calls `done`; if it was added meanwhile, `done` queues it again;
/// - `add(_:after:)` delays an add; `addRateLimited` delays it by the rate
///   limiter (per-item exponential backoff and an overall token bucket);
///   `forget` resets the backoff;
/// - `shutDown` makes `get` return nil once workers should stop.
///
/// Delayed adds are released by `runDelayLoop()`, which must run (it blocks
/// until cancelled) while delayed adds are in use; `Controller` runs it.
/// Metrics: `workqueue_depth`, `workqueue_adds_total`, `workqueue_retries_total`,
/// `workqueue_queue_duration_seconds`, labelled with `name`.
public actor WorkQueue<Key: Hashable & Sendable> {
    public nonisolated let name: String
    public nonisolated let rateLimiter: WorkQueueRateLimiter<Key>
    private let clock: any RuntimeClock

    private var queue: [Key] = []
    private var head = 0
    private var dirty: Set<Key> = []
    private var processing: Set<Key> = []
    private var addedAt: [Key: Duration] = [:]
    private var waiters: [CheckedContinuation<Key?, Never>] = []
    private var shuttingDown = false

    private struct Delayed {
        var key: Key
        var readyAt: Duration
    }
    private var delayed: [Delayed] = []
    private var delayWaker: CheckedContinuation<Void, Never>?
    /// Bumped by every change the delay loop must notice, so that a change
    /// made while the loop is between waits is never missed.
    private var delayGeneration = 0

    private let depthGauge: Gauge
    private let addsCounter: Counter
    private let retriesCounter: Counter
    private let queueDuration: Metrics.Timer

    public init(name: String, rateLimiter: WorkQueueRateLimiter<Key>? = nil, clock: any RuntimeClock = SystemClock()) {
        self.name = name
        self.clock = clock
        self.rateLimiter = rateLimiter ?? WorkQueueRateLimiter(clock: clock)
        depthGauge = Gauge(label: "workqueue_depth", dimensions: [("name", name)])
        addsCounter = Counter(label: "workqueue_adds_total", dimensions: [("name", name)])
        retriesCounter = Counter(label: "workqueue_retries_total", dimensions: [("name", name)])
        queueDuration = Metrics.Timer(label: "workqueue_queue_duration_seconds", dimensions: [("name", name)])
    }

    /// Keys waiting (not counting those being processed or delayed).
    public var count: Int { queue.count - head }
    public var processingCount: Int { processing.count }
    public var delayedCount: Int { delayed.count }
    public var isShuttingDown: Bool { shuttingDown }

    /// Queues `key` unless it is already waiting.
    public func add(_ key: Key) {
        guard !shuttingDown else { return }
        addsCounter.increment()
        guard !dirty.contains(key) else { return }
        dirty.insert(key)
        if addedAt[key] == nil { addedAt[key] = clock.now() }
        guard !processing.contains(key) else { return }
        if !waiters.isEmpty {
            dirty.remove(key)
            processing.insert(key)
            recordLatency(key)
            waiters.removeFirst().resume(returning: key)
        } else {
            queue.append(key)
            depthGauge.record(count)
        }
    }

    /// Queues `key` after `delay` (immediately when not positive).
    public func add(_ key: Key, after delay: Duration) {
        guard !shuttingDown else { return }
        guard delay > .zero else { return add(key) }
        let readyAt = clock.now() + delay
        if let index = delayed.firstIndex(where: { $0.key == key }) {
            // Keep the earlier of two delayed adds of one key.
            if delayed[index].readyAt <= readyAt { return }
            delayed.remove(at: index)
        }
        delayed.append(Delayed(key: key, readyAt: readyAt))
        wakeDelayLoop()
    }

    /// Queues `key` after its rate-limited backoff; counts a retry.
    public func addRateLimited(_ key: Key) async {
        let delay = await rateLimiter.when(key)
        retriesCounter.increment()
        add(key, after: delay)
    }

    /// Resets `key`'s backoff.
    public func forget(_ key: Key) async { await rateLimiter.forget(key) }

    /// The next key, waiting until there is one; nil after `shutDown` (keys
    /// still waiting are abandoned: a stopped controller must not act).
    /// The caller must call `done` with the key when finished.
    public func get() async -> Key? {
        if shuttingDown { return nil }
        if let key = popReady() { return key }
        return await withCheckedContinuation { continuation in
            waiters.append(continuation)
        }
    }

    private func popReady() -> Key? {
        guard head < queue.count else { return nil }
        let key = queue[head]
        head += 1
        if head > 1024 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        depthGauge.record(count)
        dirty.remove(key)
        processing.insert(key)
        recordLatency(key)
        return key
    }

    private func recordLatency(_ key: Key) {
        if let start = addedAt.removeValue(forKey: key) {
            queueDuration.recordNanoseconds(max(0, nanoseconds(clock.now() - start)))
        }
    }

    /// Marks `key` finished; queues it again if it was added while processing.
    public func done(_ key: Key) {
        processing.remove(key)
        if dirty.contains(key) {
            dirty.remove(key)
            add(key)
        }
    }

    /// Stops handing out keys: waiting and future `get` calls return nil, adds are ignored.
    public func shutDown() {
        shuttingDown = true
        for waiter in waiters { waiter.resume(returning: nil) }
        waiters.removeAll()
        wakeDelayLoop()
    }

    private func wakeDelayLoop() {
        delayGeneration += 1
        delayWaker?.resume()
        delayWaker = nil
    }

    private func releaseDue() -> (next: Duration?, generation: Int) {
        let now = clock.now()
        let due = delayed.filter { $0.readyAt <= now }
        delayed.removeAll { $0.readyAt <= now }
        for item in due.sorted(by: { $0.readyAt < $1.readyAt }) { add(item.key) }
        return (delayed.map(\.readyAt).min(), delayGeneration)
    }

    private func waitForChange(since generation: Int) async {
        await withCheckedContinuation { continuation in
            if let existing = delayWaker { existing.resume() }
            if Task.isCancelled || shuttingDown || delayGeneration != generation {
                delayWaker = nil
                continuation.resume()
            } else {
                delayWaker = continuation
            }
        }
    }

    private func releaseWaker() {
        delayWaker?.resume()
        delayWaker = nil
    }

    /// Moves delayed keys into the queue when due. Blocks until cancelled or shut down.
    public func runDelayLoop() async {
        while !Task.isCancelled && !shuttingDown {
            let (next, generation) = releaseDue()
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.waitForChange(since: generation) }
                if let next {
                    group.addTask { [clock] in try? await clock.sleep(until: next) }
                }
                await group.next()
                group.cancelAll()
                await self.releaseWaker()
            }
        }
    }
}

func nanoseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
}
