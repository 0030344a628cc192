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
    var withOperator: Bool
    var operatorSettings: WorkerPodSettings
    var logger: Logger

    func services() -> [any ServiceLifecycle.Service] {
        let dataDirectory = dataDirectory
        let workerExecutable = workerExecutable
        let logger = logger
        var services: [any ServiceLifecycle.Service] = [
            LocalClusterMember(name: "node-agent", readiness: readiness, kubeconfig: kubeconfig) { kubeconfig in
                let client = try KubernetesClient(config: KubeConfig.load(kubeconfigPath: kubeconfig.path))
                var agentLogger = logger
                agentLogger[metadataKey: "component"] = "node-agent"
                return NodeAgent(
                    configuration: NodeAgentConfiguration(
                        dataDirectory: dataDirectory,
                        imageMapping: .ringmasterWorker(executable: workerExecutable)),
                    client: client, logger: agentLogger)
            }
        ]
        if withOperator {
            let settings = operatorSettings
            services.append(
                LocalClusterMember(name: "operator", readiness: readiness, kubeconfig: kubeconfig) { kubeconfig in
                    // No /metrics or probe endpoints: several local clusters
                    // may run on one machine, and nothing scrapes them here.
                    let options = ManagerOptions(
                        kubeconfig: kubeconfig.path, metricsBindAddress: "0", healthProbeBindAddress: "0",
                        maxConcurrentReconciles: 2, kubeAPIQPS: 50, kubeAPIBurst: 100, syncPeriod: .seconds(600))
                    var operatorLogger = logger
                    operatorLogger[metadataKey: "component"] = "operator"
                    let manager = try Manager(options: options, logger: operatorLogger)
                    TrainingJobControllerSetup.register(
                        in: manager, settings: settings, maxConcurrentReconciles: 2, logger: operatorLogger)
                    return manager
                })
        }
        return services
    }
}
