import Foundation
import KubeClient
import Logging
import Metrics

/// Runs a `Reconciler` over the requests its sources produce, with up to
/// `maxConcurrentReconciles` reconciles at once and never two for one request.
///
/// Requeue rules (all here): success forgets the backoff; `.requeue(after:)`
/// forgets it and adds the request after the delay; a thrown error adds it
/// rate-limited; a `TerminalError` is logged and dropped. Metrics, with
/// controller-runtime's names:
/// `controller_runtime_reconcile_total{controller,result}` (`result` one of
/// `success`, `error`, `requeue`, `requeue_after`),
/// `controller_runtime_reconcile_errors_total{controller}`,
/// `controller_runtime_terminal_reconcile_errors_total{controller}`,
/// `controller_runtime_reconcile_time_seconds{controller}`,
/// `controller_runtime_max_concurrent_reconciles{controller}` and
/// `controller_runtime_active_workers{controller}`. As controller-runtime
/// does, `run()` sets every counter of the controller to zero before it waits
/// for its sources, so `rate()` and `absent()` see the series from the
/// start, before the first reconcile.
public final class Controller: Sendable {
    public let name: String
    public let queue: WorkQueue<ReconcileRequest>
    public let maxConcurrentReconciles: Int
    private let reconciler: any Reconciler
    private let sources: [ControllerSource]
    private let logger: Logger
    private let errorsCounter: Counter
    private let terminalErrorsCounter: Counter
    private let reconcileTimer: Metrics.Timer
    private let activeWorkers: Gauge
    private let activeWorkerCount = LockedState(0)
    private let clock: any RuntimeClock

    public init(
        name: String, reconciler: any Reconciler, sources: [ControllerSource], maxConcurrentReconciles: Int = 1,
        rateLimiter: WorkQueueRateLimiter<ReconcileRequest>? = nil, clock: any RuntimeClock = SystemClock(),
        logger: Logger? = nil
    ) {
        self.name = name
        self.reconciler = reconciler
        self.sources = sources
        self.maxConcurrentReconciles = max(1, maxConcurrentReconciles)
        self.clock = clock
        self.queue = WorkQueue(name: name, rateLimiter: rateLimiter ?? WorkQueueRateLimiter(clock: clock), clock: clock)
        self.logger = logger ?? Logger(label: "ringmaster.controller.\(name)")
        self.errorsCounter = Counter(label: "controller_runtime_reconcile_errors_total", dimensions: [("controller", name)])
        self.terminalErrorsCounter = Counter(
            label: "controller_runtime_terminal_reconcile_errors_total", dimensions: [("controller", name)])
        self.reconcileTimer = Metrics.Timer(label: "controller_runtime_reconcile_time_seconds", dimensions: [("controller", name)])
        self.activeWorkers = Gauge(label: "controller_runtime_active_workers", dimensions: [("controller", name)])
    }

    /// The results `controller_runtime_reconcile_total` counts, as controller-runtime names them.
    public static let reconcileResults = ["success", "error", "requeue", "requeue_after"]

    /// Sets this controller's series to their starting values, as
    /// controller-runtime's `initMetrics` does when a controller starts: every
    /// counter at zero (adding zero creates the series without changing a
    /// count that already exists), the worker gauges at their sizes.
    func initializeMetrics() {
        for result in Self.reconcileResults {
            Counter(label: "controller_runtime_reconcile_total", dimensions: [("controller", name), ("result", result)])
                .increment(by: 0)
        }
        errorsCounter.increment(by: 0)
        terminalErrorsCounter.increment(by: 0)
        Gauge(label: "controller_runtime_max_concurrent_reconciles", dimensions: [("controller", name)])
            .record(maxConcurrentReconciles)
        activeWorkers.record(activeWorkerCount.withLock { $0 })
    }

    /// True when every source's informer has synced.
    public var hasSynced: Bool { sources.allSatisfy { $0.hasSynced() } }

    /// Waits for the sources to sync, then reconciles until cancelled. On
    /// cancellation no new reconcile starts, running ones see the cancellation,
    /// and this returns when they have finished. Call once.
    public func run() async throws {
        let queue = self.queue
        initializeMetrics()
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Stop handing out work as soon as this task is cancelled.
            group.addTask {
                let (never, continuation) = AsyncStream<Never>.makeStream()
                for await _ in never {}
                continuation.finish()
                await queue.shutDown()
            }
            for source in sources {
                group.addTask { await source.pump(queue) }
            }
            group.addTask { await queue.runDelayLoop() }
            for source in sources { await source.waitForSync() }
            try Task.checkCancellation()
            logger.info("starting workers", metadata: ["workers": "\(maxConcurrentReconciles)"])
            for _ in 0..<maxConcurrentReconciles {
                group.addTask { await self.worker() }
            }
            try await group.waitForAll()
        }
    }

    private func worker() async {
        while let request = await queue.get() {
            changeActiveWorkers(by: 1)
            await process(request)
            changeActiveWorkers(by: -1)
            await queue.done(request)
        }
    }

    private func changeActiveWorkers(by delta: Int) {
        let active = activeWorkerCount.withLock { count in
            count += delta
            return count
        }
        activeWorkers.record(active)
    }

    private func count(_ result: String) {
        Counter(label: "controller_runtime_reconcile_total", dimensions: [("controller", name), ("result", result)])
            .increment()
    }

    private func process(_ request: ReconcileRequest) async {
        let start = clock.now()
        defer { reconcileTimer.recordNanoseconds(max(0, nanoseconds(clock.now() - start))) }
        do {
            let result = try await reconciler.reconcile(request)
            switch result {
            case .done:
                count("success")
                await queue.forget(request)
            case .requeue(let delay):
                count("requeue_after")
                await queue.forget(request)
                await queue.add(request, after: delay)
            }
        } catch let error as TerminalError {
            count("error")
            errorsCounter.increment()
            terminalErrorsCounter.increment()
            logger.error("reconcile failed and will not be retried", metadata: [
                "request": "\(request)", "error": "\(error)",
            ])
            await queue.forget(request)
        } catch {
            if Task.isCancelled { return }
            count("error")
            errorsCounter.increment()
            logger.warning("reconcile failed; retrying with backoff", metadata: [
                "request": "\(request)", "error": "\(error)",
            ])
            await queue.addRateLimited(request)
        }
    }
}
