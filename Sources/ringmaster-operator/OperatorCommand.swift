import ArgumentParser
import ControllerRuntime
import Foundation
import KubeClient
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import TrainingJobController

/// `ringmaster-operator`: the controller manager that runs TrainingJobs.
@main
struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringmaster-operator",
        abstract: "Watches TrainingJobs and keeps their worker Pods, Service, claim, token and status true.")

    @Option(help: "Path of a kubeconfig (default: $KUBECONFIG, ~/.kube/config, or in-cluster).")
    var kubeconfig: String?

    @Option(help: "Where /metrics is served; 0 disables it.")
    var metricsBindAddress = ":8080"

    @Option(help: "Where /healthz and /readyz are served; 0 disables them.")
    var healthProbeBindAddress = ":8081"

    @Flag(help: "Run only while holding the leader Lease.")
    var leaderElect = false

    @Option(help: "Namespace of the leader Lease (default: the client's namespace).")
    var leaderElectionNamespace: String?

    @Option(help: "Watch only this namespace (default: all).")
    var namespace: String?

    @Option(help: "TrainingJobs reconciled at once.")
    var maxConcurrentReconciles = 4

    @Option(name: .customLong("kube-api-qps"), help: "Requests per second to the API server.")
    var kubeAPIQPS: Double = 50

    @Option(help: "Burst of requests to the API server.")
    var kubeAPIBurst = 100

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(help: "json or text.")
    var logFormat = "text"

    @Option(help: "Image for jobs that use the default worker image (default: \(TrainingJobDefaultsImage.value)).")
    var workerImage: String?

    @Option(help: "How long a worker waits on a ring peer before the ring is declared broken, in seconds.")
    var peerTimeoutSeconds: Double = 30

    @Option(help: "How often rank 0 reports progress into the status, in seconds.")
    var progressIntervalSeconds: Double = 5

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical; got \(logLevel)")
        }
        guard ManagerOptions.LogFormat(rawValue: logFormat) != nil else {
            throw ValidationError("--log-format must be json or text; got \(logFormat)")
        }
        guard maxConcurrentReconciles >= 1 else { throw ValidationError("--max-concurrent-reconciles must be at least 1") }
        guard kubeAPIQPS > 0, kubeAPIBurst >= 1 else { throw ValidationError("--kube-api-qps must be positive and --kube-api-burst at least 1") }
    }

    func run() async throws {
        let options = ManagerOptions(
            kubeconfig: kubeconfig, metricsBindAddress: metricsBindAddress,
            healthProbeBindAddress: healthProbeBindAddress, leaderElect: leaderElect,
            leaderElectionNamespace: leaderElectionNamespace, namespace: namespace,
            maxConcurrentReconciles: maxConcurrentReconciles, kubeAPIQPS: kubeAPIQPS, kubeAPIBurst: kubeAPIBurst,
            logLevel: Logger.Level(rawValue: logLevel) ?? .info,
            logFormat: ManagerOptions.LogFormat(rawValue: logFormat) ?? .text)
        options.bootstrapLogging()
        let logger = Logger(label: "ringmaster.operator")
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = TrainingJobMetrics.durationHistogramBuckets
        factory.valueHistogramBuckets = TrainingJobMetrics.valueHistogramBuckets
        MetricsSystem.bootstrap(factory)
        let manager = try Manager(options: options, registry: registry, logger: logger)
        TrainingJobControllerSetup.register(
            in: manager,
            settings: WorkerPodSettings(
                workerImage: workerImage, progressIntervalSeconds: progressIntervalSeconds,
                peerTimeoutSeconds: peerTimeoutSeconds),
            maxConcurrentReconciles: maxConcurrentReconciles, logger: Logger(label: "ringmaster.trainingjob"))
        logger.info("starting", metadata: [
            "namespace": "\(namespace ?? "<all>")", "leaderElect": "\(leaderElect)",
            "maxConcurrentReconciles": "\(maxConcurrentReconciles)",
        ])
        let group = ServiceGroup(configuration: .init(
            services: [manager], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.info("stopped")
    }
}
