import Dispatch
import Foundation
import KubeClient
import Logging
import Synchronization
import TrainingJobAPI

/// `ringmaster-worker report-progress`: the native sidecar beside a
/// bring-your-own trainer (docs/progress-contract.md).
///
/// Follows the JSON lines file `RINGMASTER_PROGRESS_FILE`, merges each line
/// into the job's status (`ProgressLine.applied`), and reports it through
/// the same `ProgressPublisher` and `TrainingJobStatusReporter` as the
/// built-in worker's rank 0: at most once per
/// `RINGMASTER_PROGRESS_INTERVAL_SECONDS`. Runs until SIGTERM or SIGINT (the
/// Pod stopping its sidecars once the trainer exited); then reads the file
/// to its end, sends the rest and exits 0. A malformed line is skipped with
/// a warning; nothing the trainer writes makes it fail.
enum ProgressSidecar {
    /// How often the file is read.
    static let pollInterval = Duration.milliseconds(200)
    /// How long the last report may take to land after SIGTERM.
    static let finalReportTimeout = Duration.seconds(10)

    /// Returns the process's exit code: 0 after a signal, 20 when the file is not named.
    static func run(environment: [String: String], logger baseLogger: Logger) async -> Int32 {
        var logger = baseLogger
        logger[metadataKey: "role"] = "progress-sidecar"
        guard let path = environment[ProgressContract.fileVariable], !path.isEmpty else {
            logger.error("\(ProgressContract.fileVariable) is not set: there is no progress file to follow")
            return WorkerExitCode.invalidInput.rawValue
        }
        let interval = Double(environment[WorkerEnvironment.Key.progressIntervalSeconds] ?? "").flatMap { $0.isFinite ? $0 : nil } ?? 5
        let stop = StopSignal(signals: [SIGTERM, SIGINT])
        let publisher = reporter(environment, logger: logger).map {
            ProgressPublisher(reporter: $0, interval: .milliseconds(Int64(max(0.1, interval) * 1000)), logger: logger)
        }
        logger.info("following the progress file", metadata: ["path": "\(path)"])

        var follower = ProgressFileFollower(path: path)
        var status = TrainingJobStatus()
        var applied = 0
        func take(_ batch: ProgressFileFollower.Batch) -> Bool {
            for notice in batch.notices { logger.warning("\(notice)") }
            var changed = false
            for line in batch.lines {
                let text = line.text.trimmingCharacters(in: .whitespaces)
                if text.isEmpty { continue }
                do {
                    let parsed = try ProgressLine.parse(text)
                    status = parsed.applied(to: status, at: Date())
                    changed = true
                    applied += 1
                    if parsed.checkpoint != nil || parsed.artifact != nil || parsed.metrics != nil {
                        logger.info("trainer reported", metadata: ["line": "\(line.number)", "text": "\(text.prefix(300))"])
                    }
                } catch {
                    logger.warning("skipped line \(line.number) of \(path): \(error)")
                }
            }
            return changed
        }
        func report() -> WorkerStatusReport {
            WorkerStatusReport(progress: status.progress, checkpoint: status.checkpoint, metrics: status.metrics, artifact: status.artifact)
        }

        await withTaskGroup(of: Void.self) { group in
            if let publisher { group.addTask { await publisher.run() } }
            while !stop.received {
                if take(follower.poll()) { await publisher?.update(report()) }
                try? await Task.sleep(for: pollInterval)
            }
            group.cancelAll()
        }
        // The trainer has exited (or the Pod is going away): its last line
        // may lack its newline.
        if take(follower.drain()) { await publisher?.update(report()) }
        if let publisher, applied > 0 {
            await publisher.finish(timeout: finalReportTimeout)
        }
        logger.info("progress sidecar stopped", metadata: ["lines": "\(applied)"])
        return 0
    }

    /// The status reporter for the job named in the environment, or nil
    /// (with a log line saying why) when there is no job or API server.
    private static func reporter(_ environment: [String: String], logger: Logger) -> (any ProgressReporter)? {
        let name = environment[WorkerEnvironment.Key.jobName] ?? ""
        let namespace = environment[WorkerEnvironment.Key.jobNamespace] ?? ""
        guard !name.isEmpty, !namespace.isEmpty else {
            logger.warning("no TrainingJob named in the environment: progress is only read, not reported")
            return nil
        }
        guard environment["KUBECONFIG"] != nil || environment["KUBERNETES_SERVICE_HOST"] != nil else {
            logger.warning("neither KUBECONFIG nor an in-cluster service account: progress is only read, not reported")
            return nil
        }
        do {
            let client = try KubernetesClient(config: KubeConfig.automatic(environment: environment), options: ClientOptions(logger: logger))
            logger.info("reporting to the TrainingJob status", metadata: ["job": "\(namespace)/\(name)", "server": "\(client.config.server)"])
            return TrainingJobStatusReporter(client: client, name: name, namespace: namespace)
        } catch {
            logger.warning("cannot configure the Kubernetes client: progress is only read", metadata: ["error": "\(error)"])
            return nil
        }
    }
}

/// Whether one of some signals arrived; they no longer end the process.
final class StopSignal {
    private final class Flag: Sendable {
        let value = Mutex(false)
    }

    private let flag: Flag
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32]) {
        let flag = Flag()
        self.flag = flag
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { flag.value.withLock { $0 = true } }
            source.resume()
            return source
        }
    }

    var received: Bool { flag.value.withLock { $0 } }

    deinit {
        for source in sources { source.cancel() }
    }
}
