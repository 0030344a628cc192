import Foundation
import KubeClient
import Logging
import ServiceLifecycle

/// The node of the local cluster: its kubelet and its scheduler in one
/// service, a client of the API server over HTTP like any kubelet.
///
/// - Scheduling: pods without `spec.nodeName` (and with the default
///   scheduler) are fitted against the node's capacity minus the requests of
///   the pods it holds, its labels (`nodeSelector`, required node affinity)
///   and existing claims; a fit binds the pod (`spec.nodeName`,
///   `PodScheduled=True`), a misfit leaves it Pending with
///   `PodScheduled=False`, reason `Unschedulable`, in the real scheduler's
///   words, and it is tried again whenever pods or claims change.
/// - Running: each container is a local process (see `ContainerLaunchBuilder`
///   for the environment, the volume path rewrite, `RINGMASTER_HOSTS_FILE`,
///   `KUBECONFIG` and `RINGMASTER_TERMINATION_MESSAGE_PATH`); its stdout and
///   stderr go to `Layout.containerLog`, which the API server serves as
///   `pods/log`. Images other than those of `ImageMapping` fail the pod with
///   `ErrImagePull`.
/// - ServiceAccounts: each pod gets a token bound to it, the CA and its
///   namespace at `/var/run/secrets/kubernetes.io/serviceaccount/`, and
///   `KUBERNETES_SERVICE_HOST`/`PORT` (see `ServiceAccountTokenProjector`,
///   which also says what happens when the agent is not root).
/// - Deletion: a pod with a `deletionTimestamp` gets SIGTERM, SIGKILL after
///   its grace period, and its deletion is then confirmed (grace period 0).
/// - Claims bind at once to a directory that is removed with the claim
///   (`ClaimBinder`).
/// - Events: the scheduler's and the kubelet's Pod events (`Scheduled`,
///   `FailedScheduling`, `Pulled`, `Failed`, `Created`, `Started`, `BackOff`,
///   `Killing`) go to the API server through `NodeEventRecorder`, which never
///   holds up a pod.
/// - Restart: pods that an earlier run of the agent started (they have a
///   `startTime` but no process now) are marked Failed with reason
///   `NodeRestart`, never left Running.
///
/// `run()` blocks until cancelled; on cancellation every process gets
/// SIGTERM and, after `shutdownGracePeriod`, SIGKILL, and `run()` returns
/// once they have all exited.
public struct NodeAgent: ServiceLifecycle.Service {
    public let configuration: NodeAgentConfiguration
    private let api: any NodeAgentAPI
    private let logger: Logger

    /// A node agent that talks to the API server through `client`.
    public init(configuration: NodeAgentConfiguration, client: KubernetesClient, logger: Logger = Logger(label: "ringmaster.node-agent")) {
        var configuration = configuration
        if configuration.apiServerURL == nil, var server = URLComponents(string: client.config.server) {
            // Pods in network namespaces reach the API server at the Pod network's gateway, where it listens too.
            if let network = configuration.podNetwork { server.host = network.gateway }
            configuration.apiServerURL = server.url
        }
        if configuration.certificateAuthorityPEM.isEmpty, let ca = client.config.tls.certificateAuthorityPEM {
            configuration.certificateAuthorityPEM = ca
        }
        self.init(configuration: configuration, api: KubeClientNodeAgentAPI(client: client), logger: logger)
    }

    init(configuration: NodeAgentConfiguration, api: any NodeAgentAPI, logger: Logger) {
        self.configuration = configuration
        self.api = api
        var logger = logger
        logger[metadataKey: "node"] = "\(configuration.nodeName)"
        self.logger = logger
    }

    public func run() async throws {
        do {
            try PrivateFiles.makeDirectory(configuration.dataDirectory)
        } catch {
            throw NodeAgentError(.fileSystem, "cannot create the data directory \(configuration.dataDirectory.path): \(error)")
        }
        logger.info("node agent started", metadata: ["capacity": "\(configuration.capacity)"])
        let node = LocalNode(configuration: configuration, api: api, logger: logger)
        do {
            try await node.run()
        } catch is CancellationError {
            // Cancelled: the processes have been stopped.
        }
    }
}
