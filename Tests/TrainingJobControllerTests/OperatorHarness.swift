import ControllerRuntime
import Foundation
import KubeClient
import LocalCluster
import Logging
import RingmasterTesting
import TrainingJobAPI
import TrainingJobController

/// A local cluster with a node agent that runs worker Pods as real
/// `ringmaster-worker` processes, and the operator (Manager + TrainingJob
/// controller) in this process. The operator can be stopped and started
/// again on the same cluster.
///
/// The operator runs as deployed: as the ServiceAccount
/// `ringmaster-system/ringmaster-operator` with exactly the RBAC of
/// config/rbac (its leader-election Role in `default`), so the server refuses
/// whatever those manifests do not grant. The test and the node agent use the
/// administrator's client.
final class OperatorHarness: @unchecked Sendable {
    let cluster: LocalClusterFixture
    let client: KubernetesClient
    /// The operator's own client, authenticated as its ServiceAccount; every
    /// request goes to the recorder given to `start`, if any.
    let operatorClient: KubernetesClient
    let namespace = "default"
    /// Whether the operator takes a Lease in `namespace` before reconciling.
    private let leaderElect: Bool
    private var agentTask: Task<Void, any Error>?
    private var operatorTask: Task<Void, any Error>?

    /// An image that runs `/bin/sh` (with the job's `args`): a bring-your-own trainer for tests.
    static let shellTrainerImage = "example.com/test/shell-trainer:1"
    /// The PyTorch example's image: runs on the host's root filesystem (its command as given).
    static let pytorchImage = "ringmaster-examples/pytorch-ddp:latest"

    /// The peer timeout is long enough for a loaded machine: a test that
    /// needs a dead peer noticed kills its process, which the survivors see
    /// as a closed connection at once, not as a timeout.
    static let settings = WorkerPodSettings(progressIntervalSeconds: 0.3, peerTimeoutSeconds: 30, terminationGracePeriodSeconds: 2)

    /// - Parameters:
    ///   - gpus: `nvidia.com/gpu` capacity of the node.
    ///   - operatorRequests: records every request the operator sends (and
    ///     only the operator's: the test and the node agent use `client`).
    ///   - leaderElect: whether the operator runs leader election, as it does when deployed.
    ///   - podNetwork: each Pod in namespaces of its own on a Pod network, as `ringmaster local up` runs them.
    static func start(
        gpus: Int64 = 0, operatorRequests: RequestRecorder? = nil, leaderElect: Bool = false, podNetwork: Bool = true
    ) async throws -> OperatorHarness {
        let cluster = try await LocalClusterFixture.start(podNetwork: podNetwork)
        let config = try KubeConfig.load(kubeconfigPath: cluster.kubeconfigPath)
        let client = try KubernetesClient(config: config)
        let operatorConfig = try await ServiceAccountIdentity(
            namespace: "ringmaster-system", serviceAccount: "ringmaster-operator", roleNamespace: "default"
        ).configuration(admin: client, manifests: try ServiceAccountIdentity.manifests(in: ExternalTools.packageRoot.appendingPathComponent("config/rbac")))
        let operatorClient = try KubernetesClient(
            config: operatorConfig, options: ClientOptions(requestObserver: operatorRequests.map { $0.observe }))
        let harness = OperatorHarness(cluster: cluster, client: client, operatorClient: operatorClient, leaderElect: leaderElect)
        try await harness.applyCRD()
        var capacity = NodeAgentConfiguration.machineCapacity()
        capacity[NodeAgentConfiguration.gpuResource] = gpus * 1000
        let configuration = NodeAgentConfiguration(
            capacity: capacity, dataDirectory: cluster.dataDirectory,
            imageMapping: ImageMapping(
                rules: ImageMapping.ringmasterWorker(executable: try ExternalTools.product("ringmaster-worker")).rules
                    + [ImageMapping.Rule(repositoryName: "shell-trainer", executable: "/bin/sh"),
                       ImageMapping.Rule(repositoryName: "pytorch-ddp", executable: nil)]),
            podNetwork: cluster.podNetwork,
            retryInterval: .milliseconds(500), shutdownGracePeriod: .seconds(2))
        let agent = NodeAgent(configuration: configuration, client: client, logger: Self.quietLogger("node-agent"))
        // The node agent and the operator are services that run until cancelled;
        // the harness owns their tasks and cancels them in `shutdown()`.
        harness.agentTask = Task { try await agent.run() }
        harness.startOperator()
        return harness
    }

    /// Starts a harness, runs `body` with it, and shuts it down however `body` ends.
    static func with<T>(_ body: (OperatorHarness) async throws -> T) async throws -> T {
        let harness = try await start()
        do {
            let result = try await body(harness)
            await harness.shutdown()
            return result
        } catch {
            await harness.shutdown()
            throw error
        }
    }

    private init(cluster: LocalClusterFixture, client: KubernetesClient, operatorClient: KubernetesClient, leaderElect: Bool) {
        self.cluster = cluster
        self.leaderElect = leaderElect
        self.client = client
        self.operatorClient = operatorClient
    }

    static func quietLogger(_ label: String) -> Logger {
        var logger = Logger(label: "test.\(label)")
        logger.logLevel = .error
        return logger
    }

    /// Starts a fresh operator (new informers, new queue).
    func startOperator() {
        let client = self.operatorClient
        let leaderElect = self.leaderElect
        operatorTask = Task {
            let manager = try Manager(
                options: ManagerOptions(
                    metricsBindAddress: "0", healthProbeBindAddress: "0", leaderElect: leaderElect,
                    leaderElectionNamespace: "default", retryPeriod: .milliseconds(200), maxConcurrentReconciles: 2),
                client: client, logger: Self.quietLogger("manager"))
            TrainingJobControllerSetup.register(
                in: manager, settings: Self.settings, maxConcurrentReconciles: 2, logger: Self.quietLogger("trainingjob"))
            try await manager.run()
        }
    }

    /// Stops the operator as abruptly as a task can be stopped: cancelled mid-reconcile.
    func stopOperator() async {
        operatorTask?.cancel()
        _ = await operatorTask?.result
        operatorTask = nil
    }

    func shutdown() async {
        await stopOperator()
        agentTask?.cancel()
        _ = await agentTask?.result
        try? await cluster.shutdown()
    }

    private func applyCRD() async throws {
        let path = ExternalTools.packageRoot.appendingPathComponent("crds/trainingjobs.ringmaster.dev.yaml")
        let crds = client.unstructured(ResourceDescriptor(
            group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition",
            plural: "customresourcedefinitions", namespaced: false))
        for document in try JSONValue.documents(yaml: String(contentsOf: path, encoding: .utf8)) where document != .null {
            _ = try await crds.create(UnstructuredObject(document))
        }
    }

    // MARK: jobs

    /// A small, quick job: a subset of Fashion-MNIST, tiny layers.
    ///
    /// With `holdAfterStep`, every worker stops after that step until
    /// `releaseHold` is called (see `StepHold`): the job is then known to be
    /// training and unable to finish, however fast this machine trains.
    static func smallJob(
        _ name: String, workers: Int = 2, train: Int = 512, epochs: Int = 1, layers: [Int] = [16], holdAfterStep: Int? = nil
    ) -> TrainingJob {
        var spec = TrainingJobSpec(workers: workers)
        spec.model.hiddenLayers = layers
        spec.hyperparameters.epochs = epochs
        spec.hyperparameters.batchSize = 32 * workers
        spec.hyperparameters.checkpointEverySteps = 5
        spec.dataset.trainLimit = train
        spec.dataset.testLimit = 200
        spec.runPolicy.restartBackoffSeconds = 1
        if let holdAfterStep {
            spec.template = PodTemplateOverlay(env: [
                EnvVar(name: "FAULT_HOLD_AFTER_STEP", value: String(holdAfterStep)),
                EnvVar(name: "FAULT_HOLD_RELEASE_FILE", value: WorkerLayout.storageMountPath + "/" + holdReleaseFile),
            ])
        }
        return TrainingJob(metadata: ObjectMeta(name: name, namespace: "default"), spec: spec)
    }

    /// The file, in the job's storage volume, whose existence releases a `holdAfterStep` hold.
    static let holdReleaseFile = "fault-hold-release"

    /// Lets the workers of a job made with `holdAfterStep` go on (now and after any later restart).
    func releaseHold(_ name: String) throws {
        try releaseFile(name, named: Self.holdReleaseFile)
    }

    /// Creates the empty file `file` at the top of the job's storage volume.
    func releaseFile(_ name: String, named file: String) throws {
        let job = TrainingJob(metadata: ObjectMeta(name: name, namespace: namespace), spec: TrainingJobSpec())
        let directory = try Layout(dataDirectory: cluster.dataDirectory)
            .volumeDirectory(namespace: namespace, claim: VolumeClaimPolicy.claimName(job))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data().write(to: directory.appendingPathComponent(file))
    }

    /// Waits until rank 0 has reported `step` in restart `attempt`: with
    /// `holdAfterStep: step`, every rank is then held there.
    @discardableResult
    func waitUntilHeld(_ name: String, atStep step: Int, restarts: Int = 0, timeout: Duration = .seconds(90)) async throws -> TrainingJob? {
        try await waitFor(name, timeout: timeout, "held at step \(step) after \(restarts) restart(s)") { job in
            job?.status?.phase == .running && job?.status?.restartCount ?? 0 == restarts && job?.status?.progress?.step == step
        }
    }

    @discardableResult
    func create(_ job: TrainingJob) async throws -> TrainingJob {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while true {
            do {
                return try await client.resource(TrainingJob.self).create(job)
            } catch let error as KubernetesAPIError where error.isNotFound && clock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func job(_ name: String) async throws -> TrainingJob? {
        do {
            return try await client.resource(TrainingJob.self).get(name, in: namespace)
        } catch let error as KubernetesAPIError where error.isNotFound {
            return nil
        }
    }

    /// Polls every 200 ms until `condition` holds for the job; throws with its last status otherwise.
    @discardableResult
    func waitFor(
        _ name: String, timeout: Duration = .seconds(60), _ what: String, until condition: (TrainingJob?) -> Bool
    ) async throws -> TrainingJob? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var last: TrainingJob?
        while clock.now < deadline {
            last = try await job(name)
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(200))
        }
        let status = last?.status.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) } ?? "no job"
        throw HarnessError(description: "timed out after \(timeout) waiting for \(what); last status: \(status)")
    }

    /// Polls until `condition` holds.
    func eventually(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw HarnessError(description: "timed out after \(timeout) waiting for \(what)")
    }

    func pods(of job: String) async throws -> [Pod] {
        try await client.pods.list(
            in: .namespace(namespace), options: ListOptions(labelSelector: "\(TrainingJobLabels.jobName)=\(job)")).items
    }

    func events(of job: String) async throws -> [Event] {
        try await client.events.list(in: .namespace(namespace)).items.filter { $0.involvedObject.name == job }
    }

    /// The pid of the running worker process of `rank` (`local://<pid>`).
    func workerPID(_ job: String, rank: Int) async throws -> pid_t? {
        let pod = try await pods(of: job).first {
            $0.metadata.labels?[TrainingJobLabels.replicaIndex] == String(rank) && $0.metadata.deletionTimestamp == nil
        }
        guard let status = pod?.status?.containerStatuses?.first, status.state?.running != nil,
              let id = status.containerID, id.hasPrefix("local://") else { return nil }
        return pid_t(id.dropFirst("local://".count))
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
}
