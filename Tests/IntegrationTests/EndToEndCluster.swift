import Foundation
import KubeClient
import LocalCluster
import RingmasterTesting
import Testing
import TrainingJobAPI
import Yams

/// A whole local cluster made of real processes, for end-to-end tests:
/// `ringmaster local up` (API server + node agent running the workers as
/// processes) and any number of `ringmaster-operator` processes, all on one
/// data directory. Every process can be killed and started again.
final class EndToEndCluster: @unchecked Sendable {
    /// The data directory (SQLite, pod logs, claim directories, process logs).
    let dataDirectory: URL
    /// The API server's port, fixed after the first start so restarts keep it.
    private(set) var port: Int = 0
    private(set) var server: ChildProcess?
    private(set) var operators: [ChildProcess] = []
    private(set) var client: KubernetesClient!
    private let serverArguments: [String]
    private var operatorCount = 0

    var kubeconfigPath: String { dataDirectory.appendingPathComponent("kubeconfig").path }
    /// The operators' kubeconfig: the ServiceAccount `ringmaster-system/ringmaster-operator`
    /// with exactly config/rbac (leader election in `default`), as deployed.
    var operatorKubeconfigPath: String { dataDirectory.appendingPathComponent("operator.kubeconfig").path }

    /// Starts `ringmaster local up` on a fresh directory, waits for its
    /// kubeconfig and applies the TrainingJob CRD from crds/.
    /// `serverArguments` are added to `local up` (e.g. `--fault ...`).
    static func start(serverArguments: [String] = []) async throws -> EndToEndCluster {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ringmaster-e2e-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cluster = EndToEndCluster(dataDirectory: directory, serverArguments: serverArguments)
        try await cluster.startServer()
        try await cluster.applyCRD()
        try await cluster.writeOperatorKubeconfig()
        return cluster
    }

    private init(dataDirectory: URL, serverArguments: [String]) {
        self.dataDirectory = dataDirectory
        self.serverArguments = serverArguments
    }

    // MARK: - Processes

    /// Starts (or starts again) `ringmaster local up` on the data directory
    /// and the port of the first start; returns once it serves.
    func startServer() async throws {
        try? FileManager.default.removeItem(atPath: kubeconfigPath)
        let process = try ChildProcess.start(
            try ExternalTools.product("ringmaster"),
            ["local", "up", "--data-dir", dataDirectory.path, "--port", "\(port)"] + serverArguments,
            log: dataDirectory.appendingPathComponent("server-\(UUID().uuidString.prefix(4)).log"))
        server = process
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        while true {
            if let config = try? KubeConfig.load(kubeconfigPath: kubeconfigPath) {
                client = try KubernetesClient(config: config)
                if port == 0, let url = URL(string: config.server), let serverPort = url.port { port = serverPort }
                return
            }
            guard process.isRunning, clock.now < deadline else {
                throw EndToEndError("ringmaster local up did not start: \(process.logTail())")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Starts a `ringmaster-operator` with short peer timeout and progress
    /// interval; its log is `operator-<n>.log` in the data directory.
    @discardableResult
    func startOperator(extraArguments: [String] = []) throws -> ChildProcess {
        operatorCount += 1
        let process = try ChildProcess.start(
            try ExternalTools.product("ringmaster-operator"),
            [
                "--kubeconfig", operatorKubeconfigPath, "--metrics-bind-address", "0", "--health-probe-bind-address", "0",
                "--peer-timeout-seconds", "4", "--progress-interval-seconds", "0.5", "--max-concurrent-reconciles", "2",
            ] + extraArguments,
            log: dataDirectory.appendingPathComponent("operator-\(operatorCount).log"))
        operators.append(process)
        return process
    }

    /// Stops every process (SIGTERM, then SIGKILL) and removes the data
    /// directory unless `keepData`.
    func shutdown(keepData: Bool = false) async {
        for process in operators { await process.stop() }
        await server?.stop()
        if !keepData { try? FileManager.default.removeItem(at: dataDirectory) }
    }

    /// Gives the operator its ServiceAccount and RBAC, and writes a copy of
    /// the administrator's kubeconfig whose user holds that ServiceAccount's
    /// token instead of the administrator's certificate.
    private func writeOperatorKubeconfig() async throws {
        let identity = ServiceAccountIdentity(namespace: "ringmaster-system", serviceAccount: "ringmaster-operator", roleNamespace: "default")
        let manifests = try ServiceAccountIdentity.manifests(in: ExternalTools.packageRoot.appendingPathComponent("config/rbac"))
        // Every step is idempotent, so a fault the server injects is retried from the start.
        let config = try await Self.retryingInjectedErrors { try await identity.configuration(admin: client, manifests: manifests) }
        guard case .token(let token) = config.credentials else { throw EndToEndError("no token for the operator") }
        guard var kubeconfig = try Yams.load(yaml: String(contentsOfFile: kubeconfigPath, encoding: .utf8)) as? [String: Any],
              var users = kubeconfig["users"] as? [[String: Any]], !users.isEmpty
        else { throw EndToEndError("cannot read \(kubeconfigPath)") }
        users[0]["user"] = ["token": token]
        kubeconfig["users"] = users
        try Yams.dump(object: kubeconfig).write(toFile: operatorKubeconfigPath, atomically: true, encoding: .utf8)
    }

    // MARK: - Objects

    private func applyCRD() async throws {
        let path = ExternalTools.packageRoot.appendingPathComponent("crds/trainingjobs.ringmaster.dev.yaml")
        let crds = client.unstructured(
            ResourceDescriptor(
                group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition",
                plural: "customresourcedefinitions", namespaced: false))
        for document in try JSONValue.documents(yaml: String(contentsOf: path, encoding: .utf8)) where document != .null {
            _ = try await Self.retryingInjectedErrors { try await crds.create(UnstructuredObject(document)) }
        }
    }

    /// Runs `operation`, trying again (up to 20 times) when the server
    /// answers 409/429/500 on purpose (`--fault`). AlreadyExists ends it: an
    /// earlier try that failed on the way back may have created the object.
    static func retryingInjectedErrors<T>(_ operation: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await operation()
            } catch let error as KubernetesAPIError
                where attempt < 20 && !error.isAlreadyExists && (error.code == 409 || error.code == 429 || error.code >= 500) {
                attempt += 1
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Creates a TrainingJob from its manifest (YAML), retrying while the
    /// resource is not yet served after the CRD was created.
    func submit(_ yaml: String) async throws -> String {
        guard let document = try JSONValue.documents(yaml: yaml).first else { throw EndToEndError("empty manifest") }
        let object = UnstructuredObject(document)
        let jobs = client.unstructured(TrainingJob.descriptor)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while true {
            do {
                return try await Self.retryingInjectedErrors { try await jobs.create(object, in: "default") }.metadata.name ?? ""
            } catch let error as KubernetesAPIError where error.isNotFound && clock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func job(_ name: String) async throws -> TrainingJob {
        try await client.resource(TrainingJob.self).get(name, in: "default")
    }

    /// Polls the job every 200 ms until `condition` holds and returns it;
    /// throws with the job's last status when `timeout` passes or when the
    /// job finishes without the condition holding.
    func waitForJob(
        _ name: String, timeout: Duration, _ what: String, until condition: (TrainingJob) -> Bool
    ) async throws -> TrainingJob {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var last: TrainingJob?
        while clock.now < deadline {
            if let job = try? await job(name) {
                last = job
                if condition(job) { return job }
                if let phase = job.status?.phase, phase.isFinished {
                    throw EndToEndError("job \(name) finished \(phase.rawValue) before \(what): \(describe(job))")
                }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw EndToEndError("timed out after \(timeout) waiting for \(what): \(last.map(describe) ?? "no job")")
    }

    /// The job's pods, by replica index.
    func workerPods(_ job: String) async throws -> [Int: Pod] {
        let list = try await client.pods.list(
            in: .namespace("default"), options: ListOptions(labelSelector: "ringmaster.dev/job-name=\(job)"))
        var pods: [Int: Pod] = [:]
        for pod in list.items where pod.metadata.deletionTimestamp == nil {
            if let index = pod.metadata.labels?["ringmaster.dev/replica-index"].flatMap(Int.init) { pods[index] = pod }
        }
        return pods
    }

    /// The process id of the running worker of replica `index`: the node
    /// agent records it in the container status as `local://<pid>`.
    func workerPID(_ job: String, index: Int) async throws -> pid_t {
        guard let pod = try await workerPods(job)[index],
              let id = pod.status?.containerStatuses?.first?.containerID,
              id.hasPrefix("local://"), let pid = pid_t(id.dropFirst("local://".count)),
              pod.status?.containerStatuses?.first?.state?.running != nil
        else { throw EndToEndError("worker \(index) of \(job) has no running process") }
        return pid
    }

    /// The host directory of the job's storage claim.
    func claimDirectory(_ job: TrainingJob) -> URL {
        let claim = job.status?.artifact?.claimName ?? "\(job.metadata.name ?? "")-storage"
        return dataDirectory.appendingPathComponent("volumes/default/\(claim)", isDirectory: true)
    }

    /// Lets the workers of a job submitted with `FaultJobs.small(holdAfterStep:)`
    /// go on, now and after any later restart.
    func releaseHold(_ name: String) throws {
        let directory = claimDirectory(TrainingJob(metadata: ObjectMeta(name: name), spec: TrainingJobSpec()))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data().write(to: directory.appendingPathComponent(FaultJobs.holdReleaseFile))
    }

    /// The pid of the worker of replica `index` in restart `attempt`, once it
    /// runs. For a held job, whose workers cannot finish, this is a state the
    /// job reaches and stays in.
    func runningWorkerPID(_ job: String, index: Int, attempt: Int, timeout: Duration = .seconds(120)) async throws -> pid_t {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let pod = try await workerPods(job)[index], pod.metadata.labels?["ringmaster.dev/restart-attempt"] == String(attempt),
               let pid = try? await workerPID(job, index: index) {
                return pid
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw EndToEndError("timed out after \(timeout) waiting for worker \(index) of \(job) to run in attempt \(attempt)")
    }

    /// `metrics.json` the run wrote next to the model.
    func artifactMetrics(_ job: TrainingJob) throws -> [String: Any] {
        let url = claimDirectory(job).appendingPathComponent("artifacts/metrics.json")
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw EndToEndError("metrics.json is not an object")
        }
        return object
    }

    func describe(_ job: TrainingJob) -> String {
        guard let status = job.status else { return "no status" }
        let data = (try? JSONEncoder().encode(status)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
        return "status \(data)"
    }

    /// The last lines of every process log, for failure messages.
    func logs() -> String {
        var text = ""
        for process in [server].compactMap({ $0 }) + operators { text += "--- \(process.logURL.lastPathComponent)\n" + process.logTail() }
        return text
    }
}

/// A failure of the end-to-end harness, with what it saw.
struct EndToEndError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The end-to-end fault tests run one after another: each runs a whole
/// cluster with two training processes, and the machine has few cores.
@Suite(.serialized) struct EndToEndFaultTests {}

/// Small TrainingJobs for the fault tests: a subset of Fashion-MNIST, one
/// small hidden layer, a few epochs, a checkpoint every few steps.
enum FaultJobs {
    /// The file, in the job's storage volume, whose existence releases a `holdAfterStep` hold.
    static let holdReleaseFile = "fault-hold-release"

    /// The state of a job held by `holdAfterStep: step` in its first run:
    /// rank 0 reported the step, so every rank has reached it and waits.
    static func held(atStep step: Int) -> (TrainingJob) -> Bool {
        { job in job.status?.phase == .running && job.status?.restartCount ?? 0 == 0 && job.status?.progress?.step == step }
    }

    /// `datasetYAML` replaces the dataset block; `extraSpec` is added to `spec`.
    /// With `holdAfterStep`, every worker stops after that step until the test
    /// calls `EndToEndCluster.releaseHold` (see `StepHold`): the job is then
    /// known to be training and unable to finish, however fast the machine.
    static func small(
        name: String, epochs: Int = 3, trainLimit: Int = 6000, checkpointEverySteps: Int = 25,
        backoffLimit: Int = 4, progressDeadlineSeconds: Int = 120, datasetYAML: String? = nil, extraSpec: String = "",
        holdAfterStep: Int? = nil
    ) -> String {
        let hold = holdAfterStep.map { step in
            """
              template:
                env:
                - name: FAULT_HOLD_AFTER_STEP
                  value: "\(step)"
                - name: FAULT_HOLD_RELEASE_FILE
                  value: /var/lib/ringmaster/\(holdReleaseFile)
            """
        } ?? ""
        let dataset = datasetYAML ?? """
                source: builtin
                name: fashion-mnist
                trainLimit: \(trainLimit)
                testLimit: 1000
            """
        return """
            apiVersion: ringmaster.dev/v1alpha1
            kind: TrainingJob
            metadata:
              name: \(name)
            spec:
              workers: 2
              resources:
                requests:
                  cpu: 100m
                  memory: 64Mi
              model:
                hiddenLayers: [64]
              hyperparameters:
                epochs: \(epochs)
                batchSize: 32
                learningRate: 0.002
                optimizer: adam
                seed: 7
                checkpointEverySteps: \(checkpointEverySteps)
              dataset:
            \(dataset)
              runPolicy:
                backoffLimit: \(backoffLimit)
                restartBackoffSeconds: 0
                progressDeadlineSeconds: \(progressDeadlineSeconds)
            \(hold)
            \(extraSpec)
            """
    }
}
