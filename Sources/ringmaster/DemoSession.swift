import Foundation
import KubeClient
import LocalCluster
import ServiceLifecycle
import Synchronization
import TrainingJobAPI
import TrainingJobController

/// One run of `ringmaster demo` as a service: starts the local cluster as a
/// child process, submits the job, follows it to the end, and always stops
/// the cluster (and with it every worker) before `run()` returns, whether
/// the job ended, the flow failed, or SIGINT/SIGTERM arrived.
final class DemoSession: ServiceLifecycle.Service, Sendable {
    /// How the demo ended.
    enum Outcome: Sendable, Equatable {
        case succeeded
        case failed(String)
        case interrupted
    }

    /// The cluster's child process; only its thread-safe parts (`isRunning`,
    /// `processIdentifier`, `terminationStatus`, `waitUntilExit`) are used.
    final class ClusterProcess: @unchecked Sendable {
        let process: Process
        init(_ process: Process) { self.process = process }
        var isRunning: Bool { process.isRunning }
        var terminationStatus: Int32 { process.terminationStatus }
    }

    /// A failure of the demo itself (not of the job).
    struct DemoError: Error, CustomStringConvertible {
        var description: String
    }

    let dataDirectory: URL
    let crdYAML: String
    let sampleYAML: String
    let progressIntervalSeconds: Double
    let keepRunning: Bool
    private let state = Mutex<Outcome>(.interrupted)

    init(dataDirectory: URL, crdYAML: String, sampleYAML: String, progressIntervalSeconds: Double, keepRunning: Bool) {
        self.dataDirectory = dataDirectory
        self.crdYAML = crdYAML
        self.sampleYAML = sampleYAML
        self.progressIntervalSeconds = progressIntervalSeconds
        self.keepRunning = keepRunning
    }

    /// How the demo ended; `.interrupted` until the job finished.
    var outcome: Outcome { state.withLock { $0 } }

    private var layout: Layout { Layout(dataDirectory: dataDirectory) }
    private var clusterLog: URL { dataDirectory.appendingPathComponent("cluster.log") }

    func run() async throws {
        let cluster = try startCluster()
        do {
            try await cancelWhenGracefulShutdown { try await self.drive(cluster) }
        } catch {
            if !Task.isCancelled && !Task.isShuttingDownGracefully {
                if case .interrupted = outcome { state.withLock { $0 = .failed("\(error)") } }
            }
        }
        if case .interrupted = outcome { say("\nInterrupted: stopping the workers and the local cluster.") }
        await stop(cluster)
    }

    // MARK: - The cluster process

    private func startCluster() throws -> ClusterProcess {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        _ = FileManager.default.createFile(atPath: clusterLog.path, contents: nil)
        let log = try FileHandle(forWritingTo: clusterLog)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "local", "up", "--with-operator", "--data-dir", dataDirectory.path,
            "--progress-interval-seconds", "\(progressIntervalSeconds)",
            // The cluster stops with this process, even if it is killed.
            "--parent-pid", "\(getpid())",
        ]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? log.close()
        return ClusterProcess(process)
    }

    /// SIGTERM, then SIGKILL if the cluster has not stopped within 30 s
    /// (it gives the workers their grace period first).
    private func stop(_ cluster: ClusterProcess) async {
        let process = cluster.process
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        while process.isRunning && clock.now < deadline {
            // Even when cancelled, wait for the process rather than spin.
            do { try await Task.sleep(for: .milliseconds(100)) } catch { usleep(100_000) }
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    // MARK: - The flow

    private func drive(_ cluster: ClusterProcess) async throws {
        let client = try await connect(cluster)
        try await applyCRD(client)
        let (namespace, name) = try await submitJob(client)
        let kubeconfig = layout.defaultKubeconfig.path
        say("""
            Local cluster: \(client.config.server) (logs: \(clusterLog.path))
            Watch it with kubectl in another terminal:
              export KUBECONFIG=\(kubeconfig)
              kubectl get tj -w
            Submitted TrainingJob \(namespace)/\(name).

            """)
        let started = ContinuousClock.now
        let job = try await follow(client, namespace: namespace, name: name, cluster: cluster)
        let elapsed = ContinuousClock.now - started
        report(job, elapsed: elapsed)
        if keepRunning {
            say("\nThe cluster stays up (--keep-running); Ctrl-C stops it.")
            try await gracefulShutdown()
        }
    }

    /// Waits for the cluster's kubeconfig and returns a client for it.
    private func connect(_ cluster: ClusterProcess) async throws -> KubernetesClient {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while true {
            guard cluster.isRunning else {
                throw DemoError(description: "the local cluster exited at start (status \(cluster.terminationStatus)); see \(clusterLog.path)")
            }
            if let config = try? KubeConfig.load(kubeconfigPath: layout.defaultKubeconfig.path) {
                return try KubernetesClient(config: config)
            }
            guard clock.now < deadline else {
                throw DemoError(description: "the local cluster did not start within 60 s; see \(clusterLog.path)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    private func applyCRD(_ client: KubernetesClient) async throws {
        let crds = client.unstructured(
            ResourceDescriptor(
                group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition",
                plural: "customresourcedefinitions", namespaced: false))
        for document in try JSONValue.documents(yaml: crdYAML) where document != .null {
            do {
                _ = try await crds.create(UnstructuredObject(document))
            } catch let error as KubernetesAPIError where error.isAlreadyExists {
                continue
            }
        }
    }

    /// Creates the sample's TrainingJob, retrying while the new resource is
    /// not yet served.
    private func submitJob(_ client: KubernetesClient) async throws -> (namespace: String, name: String) {
        let documents = try JSONValue.documents(yaml: sampleYAML).filter { $0["kind"]?.stringValue == TrainingJob.descriptor.kind }
        guard documents.count == 1, let document = documents.first else {
            throw DemoError(description: "the sample must hold exactly one TrainingJob; it holds \(documents.count)")
        }
        let object = UnstructuredObject(document)
        let namespace = object.metadata.namespace ?? client.config.namespace
        let jobs = client.unstructured(TrainingJob.descriptor)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(20)
        while true {
            do {
                let created = try await jobs.create(object, in: namespace)
                return (namespace, created.metadata.name ?? object.metadata.name ?? "")
            } catch let error as KubernetesAPIError where error.isNotFound && clock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// Polls the job once a second and prints a line whenever what
    /// `kubectl get tj` shows changes; returns the finished job.
    private func follow(_ client: KubernetesClient, namespace: String, name: String, cluster: ClusterProcess) async throws -> TrainingJob {
        let jobs = client.resource(TrainingJob.self)
        let renderer = DemoProgressRenderer(interactive: isatty(STDOUT_FILENO) == 1)
        say(renderer.header)
        var consecutiveErrors = 0
        while true {
            guard cluster.isRunning else {
                throw DemoError(description: "the local cluster stopped (status \(cluster.terminationStatus)); see \(clusterLog.path)")
            }
            do {
                let job = try await jobs.get(name, in: namespace)
                consecutiveErrors = 0
                renderer.show(job)
                if let phase = job.status?.phase, phase.isFinished {
                    renderer.finish()
                    return job
                }
            } catch {
                // Transient trouble reaching the server is retried for half a minute.
                consecutiveErrors += 1
                if Task.isCancelled || consecutiveErrors > 30 { throw error }
            }
            try await Task.sleep(for: .seconds(1))
        }
    }

    private func report(_ job: TrainingJob, elapsed: Duration) {
        let status = job.status ?? TrainingJobStatus()
        let phase = status.phase?.rawValue ?? "Unknown"
        var lines = ["", "TrainingJob \(job.metadata.namespace ?? "default")/\(job.metadata.name ?? "")"]
        lines.append("  phase:          \(phase)")
        if let accuracy = status.metrics?.testAccuracy {
            lines.append("  test accuracy:  \(String(format: "%.2f%%", accuracy * 100))")
        }
        if let loss = status.metrics?.testLoss { lines.append("  test loss:      \(String(format: "%.4f", loss))") }
        if let seconds = status.metrics?.trainingSeconds {
            lines.append("  training time:  \(String(format: "%.1f s", seconds))")
        }
        lines.append("  wall time:      \(String(format: "%.1f s", Double(elapsed.components.seconds)))")
        lines.append("  restarts:       \(status.restartCount ?? 0)")
        if let model = modelPath(job) {
            let exists = FileManager.default.fileExists(atPath: model.path)
            lines.append("  model:          \(model.path)\(exists ? "" : " (missing)")")
        }
        if status.phase == .succeeded {
            state.withLock { $0 = .succeeded }
        } else {
            let message = status.failure?.message ?? status.message ?? "the job ended \(phase)"
            lines.append("  failure:        \(message)")
            state.withLock { $0 = .failed("TrainingJob \(job.metadata.name ?? "") \(phase): \(message)") }
        }
        lines.append("  worker logs:    \(layout.dataDirectory.appendingPathComponent("pods/\(job.metadata.namespace ?? "default")").path)/<pod>/")
        say(lines.joined(separator: "\n"))
    }

    /// The host path of the model: the artifact's path on the claim, below
    /// the claim's directory in the data directory.
    private func modelPath(_ job: TrainingJob) -> URL? {
        guard let name = job.metadata.name else { return nil }
        // The status names the artifact once rank 0 has reported it; until
        // then it is where the operator's workers always write it.
        let path = job.status?.artifact?.path ?? WorkerLayout.artifactDirectory + "/model.safetensors"
        let claim = job.status?.artifact?.claimName ?? "\(name)-storage"
        // On the local cluster the workers see the claim at its host path.
        if FileManager.default.fileExists(atPath: path) { return URL(fileURLWithPath: path) }
        let mount = WorkerLayout.storageMountPath
        let relative = path.hasPrefix(mount + "/") ? String(path.dropFirst(mount.count + 1)) : (path as NSString).lastPathComponent
        return (try? layout.volumeDirectory(namespace: job.metadata.namespace ?? "default", claim: claim))?
            .appendingPathComponent(relative)
    }

    private func say(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
