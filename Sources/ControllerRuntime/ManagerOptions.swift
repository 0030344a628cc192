import Foundation
import KubeClient
import Logging

/// The settings of a `Manager`, one per command-line flag users know from
/// controller-runtime (`--kubeconfig`, `--metrics-bind-address`,
/// `--health-probe-bind-address`, `--leader-elect`,
/// `--leader-election-namespace`, `--namespace`, `--max-concurrent-reconciles`,
/// `--kube-api-qps`, `--kube-api-burst`, `--log-level`, `--log-format`).
public struct ManagerOptions: Sendable {
    public enum LogFormat: String, Sendable, CaseIterable {
        case text, json
    }

    /// Path of a kubeconfig; nil uses `KubeConfig.automatic()`.
    public var kubeconfig: String?
    /// kubeconfig context; nil uses the current one.
    public var context: String?
    /// Where `/metrics` is served; `"0"` disables it.
    public var metricsBindAddress: String
    /// Where `/healthz` and `/readyz` are served; `"0"` disables them.
    public var healthProbeBindAddress: String
    public var leaderElect: Bool
    /// Name of the Lease.
    public var leaderElectionID: String
    /// Namespace of the Lease; nil uses the client's namespace (the pod's own in a cluster).
    public var leaderElectionNamespace: String?
    /// Unique identity of this process; nil uses `hostname_randomUUID`.
    public var leaderElectionIdentity: String?
    public var leaseDuration: Duration
    public var renewDeadline: Duration
    public var retryPeriod: Duration
    /// The one namespace to watch; nil or empty watches all.
    public var namespace: String?
    public var maxConcurrentReconciles: Int
    public var kubeAPIQPS: Double
    public var kubeAPIBurst: Int
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    /// Informer resync period; nil disables resync.
    public var syncPeriod: Duration?

    public init(
        kubeconfig: String? = nil, context: String? = nil, metricsBindAddress: String = ":8080",
        healthProbeBindAddress: String = ":8081", leaderElect: Bool = false,
        leaderElectionID: String = "ringmaster-operator", leaderElectionNamespace: String? = nil,
        leaderElectionIdentity: String? = nil, leaseDuration: Duration = .seconds(15),
        renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2), namespace: String? = nil,
        maxConcurrentReconciles: Int = 1, kubeAPIQPS: Double = 20, kubeAPIBurst: Int = 30,
        logLevel: Logger.Level = .info, logFormat: LogFormat = .text, syncPeriod: Duration? = .seconds(10 * 3600)
    ) {
        self.kubeconfig = kubeconfig
        self.context = context
        self.metricsBindAddress = metricsBindAddress
        self.healthProbeBindAddress = healthProbeBindAddress
        self.leaderElect = leaderElect
        self.leaderElectionID = leaderElectionID
        self.leaderElectionNamespace = leaderElectionNamespace
        self.leaderElectionIdentity = leaderElectionIdentity
        self.leaseDuration = leaseDuration
        self.renewDeadline = renewDeadline
        self.retryPeriod = retryPeriod
        self.namespace = namespace
        self.maxConcurrentReconciles = maxConcurrentReconciles
        self.kubeAPIQPS = kubeAPIQPS
        self.kubeAPIBurst = kubeAPIBurst
        self.logLevel = logLevel
        self.logFormat = logFormat
        self.syncPeriod = syncPeriod
    }

    /// The cluster configuration these options name.
    public func loadKubeConfig() throws -> KubeConfig {
        if let kubeconfig, !kubeconfig.isEmpty {
            return try KubeConfig.load(kubeconfigPath: kubeconfig, context: context)
        }
        if let context {
            var environment = ProcessInfo.processInfo.environment
            let path = environment["KUBECONFIG"].flatMap { $0.split(separator: ":").first.map(String.init) }
                ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.kube/config"
            environment["KUBECONFIG"] = nil
            return try KubeConfig.load(kubeconfigPath: path, context: context)
        }
        return try KubeConfig.automatic()
    }

    /// The namespace selector for informers.
    public var watchedNamespaces: NamespaceSelector {
        if let namespace, !namespace.isEmpty { return .namespace(namespace) }
        return .allNamespaces
    }

    /// Installs the log handler these options select (`text` or `json`, at
    /// `logLevel`) for the whole process. Call once, first thing in `main`.
    public func bootstrapLogging() {
        let level = logLevel
        let format = logFormat
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler
            switch format {
            case .text: handler = StreamLogHandler.standardError(label: label)
            case .json: handler = JSONLogHandler(label: label)
            }
            handler.logLevel = level
            return handler
        }
    }
}
