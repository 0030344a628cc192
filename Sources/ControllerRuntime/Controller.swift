import Foundation
import KubeClient
import Logging
import Metrics

/// Runs a `Reconciler` over the requests its sources produce, with up to
/// `maxConcurrentReconciles` reconciles at once and never two for one request.
///
/// Requeue rules (all here): success forgets the backoff; `.requeue(after:)`
/// forgets it and adds the request after the delay; a thrown error adds it
/// rate-limited; a `TerminalError` is logged and dropped. Metrics:
/// `controller_runtime_reconcile_total{controller,result}`,
/// `controller_runtime_reconcile_errors_total{controller}`,
/// `controller_runtime_reconcile_time_seconds{controller}`.
public final class Controller: Sendable {
    public let name: String
    public let queue: WorkQueue<ReconcileRequest>
    public let maxConcurrentReconciles: Int
    private let reconciler: any Reconciler
    private let sources: [ControllerSource]
    private let logger: Logger
    private let errorsCounter: Counter
    private let reconcileTimer: Metrics.Timer
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
        self.reconcileTimer = Metrics.Timer(label: "controller_runtime_reconcile_time_seconds", dimensions: [("controller", name)])
    }

    /// True when every source's informer has synced.
    public var hasSynced: Bool { sources.allSatisfy { $0.hasSynced() } }

    /// Waits for the sources to sync, then reconciles until cancelled. On
    /// cancellation no new reconcile starts, running ones see the cancellation,
    /// and this returns when they have finished. Call once.
    public func run() async throws {
        let queue = self.queue
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
            await process(request)
            await queue.done(request)
        }
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
