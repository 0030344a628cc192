import Foundation
import Logging
import Training

/// Throttles rank 0's training events into status reports.
///
/// The trainer calls `trainingEvent` after every step; that only records the
/// latest values (latest wins) and returns at once. `run` sends what changed
/// at most once per `interval`, in its own task, so a slow or failing API
/// server never holds up training; a failed report is logged and the next
/// one carries the newest values.
actor ProgressPublisher: TrainingObserver {
    private let reporter: any ProgressReporter
    private let interval: Duration
    private let logger: Logger
    private var pending = WorkerStatusReport()
    private var dirty = false
    private var failures = 0

    init(reporter: any ProgressReporter, interval: Duration, logger: Logger) {
        self.reporter = reporter
        self.interval = interval
        self.logger = logger
    }

    func trainingEvent(_ event: TrainingEvent) async {
        switch event {
        case .progress(let progress):
            pending.progress = progress
            pending.progressTime = Date()
        case .checkpointSaved(let record):
            pending.checkpoint = record
        case .resumed(let record):
            // The checkpoint this run continues from is the job's latest.
            pending.checkpoint = record
        case .epochCompleted:
            return
        }
        dirty = true
    }

    /// Sends pending changes every `interval` until cancelled.
    func run() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            await flush()
        }
    }

    /// Sends the final report (everything pending plus the final metrics),
    /// giving up after `timeout`.
    func finish(_ final: WorkerStatusReport.FinalMetrics, timeout: Duration) async {
        pending.final = final
        dirty = true
        let report = pending
        dirty = false
        let reporter = reporter
        let delivered: Bool = await withTaskGroup(of: Bool?.self) { group in
            group.addTask {
                do {
                    try await reporter.report(report)
                    return true
                } catch {
                    return false
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? false
        }
        if delivered {
            logger.info("final status reported")
        } else {
            logger.warning("the final status could not be reported", metadata: ["timeout": "\(timeout)"])
        }
    }

    private func flush() async {
        guard dirty else { return }
        let report = pending
        dirty = false
        do {
            try await reporter.report(report)
            if failures > 0 { logger.info("status reporting recovered", metadata: ["failedBefore": "\(failures)"]) }
            failures = 0
        } catch {
            failures += 1
            // Log the first failure and then every tenth, not every interval.
            if failures == 1 || failures % 10 == 0 {
                logger.warning("status report failed; training continues", metadata: ["error": "\(error)", "failures": "\(failures)"])
            }
            // Re-send the newest values next time.
            dirty = true
        }
    }
}
