import Foundation
import Logging
import Training
import TrainingJobAPI

/// Throttles a worker's training events into status reports, and sends its
/// heartbeats.
///
/// The trainer calls `trainingEvent` after every step; that only records the
/// latest values (latest wins) and returns at once. `run` sends, from its own
/// task, rank 0's progress and checkpoints (when `reportsProgress`) at most
/// once per `progressInterval`, and this rank's heartbeat (when `heartbeat`
/// is set) once per its interval, both in one patch when both are due. A
/// slow or failing API server never holds up training; a failed report is
/// logged and the next one carries the newest values. Because the heartbeat
/// comes from this task and not from the training loop, a rank blocked in a
/// collective keeps beating; a stopped process does not.
actor ProgressPublisher: TrainingObserver {
    /// Who beats, how often, and what it reports.
    struct HeartbeatSettings: Sendable {
        var rank: Int
        var attempt: Int
        var interval: Duration
        var tracker: RankActivityTracker
    }

    private let reporter: any ProgressReporter
    private let reportsProgress: Bool
    private let interval: Duration
    private let heartbeat: HeartbeatSettings?
    private let logger: Logger
    private let clock = ContinuousClock()
    private var pending = WorkerStatusReport()
    private var dirty = false
    private var failures = 0
    private var lastProgress: ContinuousClock.Instant?
    private var lastBeat: ContinuousClock.Instant?

    init(
        reporter: any ProgressReporter, reportsProgress: Bool = true, interval: Duration, heartbeat: HeartbeatSettings? = nil,
        logger: Logger
    ) {
        self.reporter = reporter
        self.reportsProgress = reportsProgress
        self.interval = interval
        self.heartbeat = heartbeat
        self.logger = logger
    }

    func trainingEvent(_ event: TrainingEvent) async {
        switch event {
        case .progress(let progress):
            await heartbeat?.tracker.recordStep(progress.step)
            guard reportsProgress else { return }
            pending.progress = WorkerStatusReport.progress(progress, at: Date())
        case .checkpointSaved(let record):
            guard reportsProgress else { return }
            pending.checkpoint = WorkerStatusReport.checkpoint(record)
        case .resumed(let record):
            await heartbeat?.tracker.recordStep(record.globalStep)
            guard reportsProgress else { return }
            // The checkpoint this run continues from is the job's latest.
            pending.checkpoint = WorkerStatusReport.checkpoint(record)
        case .epochCompleted:
            return
        }
        dirty = true
    }

    /// Sends pending progress and heartbeats until cancelled; the first
    /// heartbeat goes out at once.
    func run() async {
        var tick = reportsProgress ? interval : .seconds(3600)
        if let heartbeat { tick = min(tick, heartbeat.interval) }
        if heartbeat != nil { await flush() }
        while !Task.isCancelled {
            do { try await Task.sleep(for: tick) } catch { return }
            await flush()
        }
    }

    /// Runs `operation` while `publisher` (if any) sends its reports; stops
    /// the publisher when `operation` returns or throws.
    static func publishing<Result: Sendable>(
        _ publisher: ProgressPublisher?, _ operation: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        guard let publisher else { return try await operation() }
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask { await publisher.run(); return nil }
            group.addTask { try await operation() }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let next { return next }
            }
            // The operation's task always yields a result or throws.
            preconditionFailure("the operation ended without a result")
        }
    }

    /// Replaces the pending progress, checkpoint, metrics and artifact with
    /// `report`'s (a whole state, not a delta); sent by the next due flush.
    func update(_ report: WorkerStatusReport) {
        guard reportsProgress else { return }
        pending.progress = report.progress
        pending.checkpoint = report.checkpoint
        pending.metrics = report.metrics
        pending.artifact = report.artifact
        dirty = true
    }

    /// Sends the final report (everything pending plus the final metrics and
    /// artifact, when given), resending it after a failure, until it lands or
    /// `timeout` passes.
    func finish(metrics: TrainingMetrics? = nil, artifact: ArtifactStatus? = nil, timeout: Duration) async {
        if let metrics { pending.metrics = metrics }
        if let artifact { pending.artifact = artifact }
        dirty = true
        var last = pending
        dirty = false
        last.heartbeat = await currentHeartbeat()
        let report = last
        let reporter = reporter
        let logger = logger
        let attemptTimeout = min(timeout / 3, .seconds(3))
        let delivered: Bool = await withTaskGroup(of: Bool?.self) { group in
            group.addTask {
                // The final metrics must not be lost to one refused request:
                // the merge patch is the same every time, so it is resent,
                // with backoff, until it lands or the timeout ends it.
                // Each attempt has its own deadline, so that one request stuck
                // on a dead connection does not use up the whole timeout.
                var delay = Duration.milliseconds(100)
                var attempt = 0
                while !Task.isCancelled {
                    attempt += 1
                    do {
                        try await Self.attempt(within: attemptTimeout) { try await reporter.report(report) }
                        return true
                    } catch {
                        if Task.isCancelled { return false }
                        logger.warning(
                            "the final status report failed; resending",
                            metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                        do { try await Task.sleep(for: delay) } catch { return false }
                        delay = min(delay * 2, .seconds(2))
                    }
                }
                return false
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

    /// Runs `operation`, cancelling it and throwing `ReportTimeout` when it takes longer than `limit`.
    private static func attempt(
        within limit: Duration, _ operation: @escaping @Sendable () async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await operation(); return true }
            group.addTask { try await Task.sleep(for: limit); return false }
            defer { group.cancelAll() }
            guard try await group.next() == true else { throw ReportTimeout(limit: limit) }
        }
    }

    struct ReportTimeout: Error, CustomStringConvertible {
        var limit: Duration
        var description: String { "no answer within \(limit)" }
    }

    /// This rank's heartbeat as of now, or nil when it does not beat.
    private func currentHeartbeat() async -> WorkerStatusReport.Heartbeat? {
        guard let heartbeat else { return nil }
        let state = await heartbeat.tracker.snapshot()
        return WorkerStatusReport.Heartbeat(
            rank: heartbeat.rank, attempt: heartbeat.attempt, step: state.step, time: Date(),
            activity: state.activity, activitySince: state.since)
    }

    /// Whether at least `interval` (less a tenth, for timer jitter) passed since `last`.
    private func due(_ last: ContinuousClock.Instant?, every interval: Duration) -> Bool {
        guard let last else { return true }
        return last.duration(to: clock.now) >= interval * 0.9
    }

    private func flush() async {
        var report = WorkerStatusReport()
        let sendsProgress = reportsProgress && dirty && due(lastProgress, every: interval)
        if sendsProgress {
            report = pending
            dirty = false
        }
        if let heartbeat, due(lastBeat, every: heartbeat.interval) {
            report.heartbeat = await currentHeartbeat()
        }
        guard sendsProgress || report.heartbeat != nil else { return }
        let now = clock.now
        do {
            try await reporter.report(report)
            if sendsProgress { lastProgress = now }
            if report.heartbeat != nil { lastBeat = now }
            if failures > 0 { logger.info("status reporting recovered", metadata: ["failedBefore": "\(failures)"]) }
            failures = 0
        } catch {
            failures += 1
            // Log the first failure and then every tenth, not every interval.
            if failures == 1 || failures % 10 == 0 {
                logger.warning("status report failed; training continues", metadata: ["error": "\(error)", "failures": "\(failures)"])
            }
            // Re-send the newest values next time.
            if sendsProgress { dirty = true }
        }
    }
}
