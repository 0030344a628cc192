import ControllerRuntime
import Foundation
import KubeClient
import LocalCluster
import Logging
import ServiceLifecycle
import TrainingJobController

/// The services that run beside the local API server in `ringmaster local up`
/// (and `ringmaster demo`): the node agent, always, and the TrainingJob
/// operator when asked for. Each starts once the server serves and talks to
/// it through the kubeconfig like any client.
struct LocalClusterServices {
    var dataDirectory: URL
    var kubeconfig: URL
    var readiness: LocalClusterReadiness
    /// The executable for the Ringmaster worker image; nil uses
    /// `ringmaster-worker` next to the running executable.
    var workerExecutable: String?
    /// More images the node agent runs (`--image`), before the worker image's rule.
    var imageRules: [ImageMapping.Rule]
    /// The Pod network the node agent puts each Pod on.
    var podNetwork: PodNetwork
    var withOperator: Bool
    /// The operator's RBAC manifests (config/rbac): it runs as their ServiceAccount.
    var operatorRBACDirectory: URL
    var operatorSettings: WorkerPodSettings
    var logger: Logger

    func services() -> [any ServiceLifecycle.Service] {
        let dataDirectory = dataDirectory
        let imageMapping = ImageMapping.ringmasterWorker(executable: workerExecutable).adding(imageRules)
        let podNetwork = podNetwork
        let logger = logger
        var services: [any ServiceLifecycle.Service] = [
            LocalClusterMember(name: "node-agent", readiness: readiness, kubeconfig: kubeconfig) { kubeconfig in
                let client = try KubernetesClient(config: KubeConfig.load(kubeconfigPath: kubeconfig.path))
                var agentLogger = logger
                agentLogger[metadataKey: "component"] = "node-agent"
                return NodeAgent(
                    configuration: NodeAgentConfiguration(
                        dataDirectory: dataDirectory, imageMapping: imageMapping, podNetwork: podNetwork),
                    client: client, logger: agentLogger)
            }
        ]
        if withOperator {
            let settings = operatorSettings
            let rbacDirectory = operatorRBACDirectory
            services.append(
                LocalClusterMember(name: "operator", readiness: readiness, kubeconfig: kubeconfig) { kubeconfig in
                    // No /metrics or probe endpoints: several local clusters
                    // may run on one machine, and nothing scrapes them here.
                    let options = ManagerOptions(
                        kubeconfig: kubeconfig.path, metricsBindAddress: "0", healthProbeBindAddress: "0",
                        maxConcurrentReconciles: 2, kubeAPIQPS: 50, kubeAPIBurst: 100, syncPeriod: .seconds(600))
                    var operatorLogger = logger
                    operatorLogger[metadataKey: "component"] = "operator"
                    // As deployed: the operator's own ServiceAccount, with exactly the RBAC it ships.
                    let admin = try KubernetesClient(config: KubeConfig.load(kubeconfigPath: kubeconfig.path))
                    let identity = ServiceAccountIdentity(namespace: "ringmaster-system", serviceAccount: "ringmaster-operator")
                    let config = try await identity.configuration(
                        admin: admin, manifests: try ServiceAccountIdentity.manifests(in: rbacDirectory))
                    operatorLogger.info("operator runs as \(UserInfo.serviceAccountUserName(namespace: identity.namespace, name: identity.serviceAccount))")
                    let client = try KubernetesClient(config: config, options: ClientOptions(qps: 50, burst: 100))
                    let manager = try Manager(options: options, client: client, logger: operatorLogger)
                    TrainingJobControllerSetup.register(
                        in: manager, settings: settings, maxConcurrentReconciles: 2, logger: operatorLogger)
                    return manager
                })
        }
        return services
    }
}
