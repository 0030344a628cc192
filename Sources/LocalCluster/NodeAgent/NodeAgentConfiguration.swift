import Foundation
import KubeClient

/// How the node agent presents its node and runs its pods.
public struct NodeAgentConfiguration: Sendable {
    /// The node's name: pods are bound to it through `spec.nodeName`.
    public var nodeName: String
    /// What the node offers (`cpu`, `memory`, `nvidia.com/gpu`, ...).
    public var capacity: ResourceAmounts
    /// The node's labels, matched against `nodeSelector` and node affinity.
    public var labels: [String: String]
    /// The cluster's data directory (shared with the API server; see `Layout`).
    public var dataDirectory: URL
    /// Which images run, and as which executable.
    public var imageMapping: ImageMapping
    /// The pool of pod addresses: by default the whole block of `podNetwork`,
    /// or loopback addresses without one.
    public var addressPool: PodAddressPool
    /// The Pod network: when set, each Pod runs in network, mount and UTS
    /// namespaces of its own on this network (`PodSandbox`), with its
    /// volumes at their mount paths, its hostname, and the cluster's names in
    /// `/etc/hosts`; when nil, Pods share the agent's network with loopback
    /// addresses and volume paths are rewritten (see `ContainerLaunchBuilder`).
    public var podNetwork: PodNetwork?
    /// The node's own address (`status.hostIP`).
    public var hostIP: String
    /// The first delay before restarting a container that exited; it doubles
    /// on each restart up to `maximumRestartBackoff` (as the kubelet's
    /// CrashLoopBackOff, scaled down for a development cluster).
    public var initialRestartBackoff: Duration
    public var maximumRestartBackoff: Duration
    /// How often pods that wait for capacity or for a Secret, ConfigMap or
    /// claim are looked at again even without a change.
    public var retryInterval: Duration
    /// The grace period used for pods still running when the agent stops.
    public var shutdownGracePeriod: Duration
    /// The API server's CA certificate (PEM), written as `ca.crt` beside each
    /// pod's ServiceAccount token; empty: the CA the agent's own client trusts.
    public var certificateAuthorityPEM: Data
    /// The API server as pods reach it (`KUBERNETES_SERVICE_HOST` and
    /// `KUBERNETES_SERVICE_PORT`); nil: the server of the agent's own client.
    public var apiServerURL: URL?
    /// The lifetime the agent asks for each pod's ServiceAccount token; it
    /// is refreshed once 80% of it has passed.
    public var serviceAccountTokenLifetime: Int64

    /// - Parameters:
    ///   - capacity: defaults to this machine's cores and memory, no GPUs.
    ///   - imageMapping: defaults to the Ringmaster worker image mapped to
    ///     the `ringmaster-worker` executable next to the running executable.
    public init(
        nodeName: String = "local",
        capacity: ResourceAmounts? = nil,
        labels: [String: String] = [:],
        dataDirectory: URL,
        imageMapping: ImageMapping? = nil,
        addressPool: PodAddressPool? = nil,
        podNetwork: PodNetwork? = nil,
        hostIP: String = "127.0.0.1",
        initialRestartBackoff: Duration = .seconds(1),
        maximumRestartBackoff: Duration = .seconds(30),
        retryInterval: Duration = .seconds(2),
        shutdownGracePeriod: Duration = .seconds(5),
        certificateAuthorityPEM: Data = Data(),
        apiServerURL: URL? = nil,
        serviceAccountTokenLifetime: Int64 = 3600
    ) {
        self.nodeName = nodeName
        self.capacity = capacity ?? Self.machineCapacity()
        var allLabels = [
            "kubernetes.io/hostname": nodeName,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": Self.architecture,
        ]
        for (key, value) in labels { allLabels[key] = value }
        self.labels = allLabels
        self.dataDirectory = dataDirectory
        self.imageMapping = imageMapping ?? .ringmasterWorker()
        self.podNetwork = podNetwork
        self.addressPool = addressPool ?? (try? podNetwork?.addressPool()) ?? (try! PodAddressPool())
        // On a Pod network the node is the bridge's address, as Pods reach it.
        self.hostIP = podNetwork != nil && hostIP == "127.0.0.1" ? podNetwork!.gateway : hostIP
        self.initialRestartBackoff = initialRestartBackoff
        self.maximumRestartBackoff = maximumRestartBackoff
        self.retryInterval = retryInterval
        self.shutdownGracePeriod = shutdownGracePeriod
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.apiServerURL = apiServerURL
        self.serviceAccountTokenLifetime = serviceAccountTokenLifetime
    }

    /// The resource name of NVIDIA GPUs.
    public static let gpuResource = "nvidia.com/gpu"

    /// This machine's cores and memory, and no GPUs.
    public static func machineCapacity() -> ResourceAmounts {
        var amounts = ResourceAmounts()
        amounts["cpu"] = Int64(ProcessInfo.processInfo.activeProcessorCount) * 1000
        amounts["memory"] = Int64(clamping: ProcessInfo.processInfo.physicalMemory) &* 1000
        amounts[gpuResource] = 0
        return amounts
    }

    static var architecture: String {
        #if arch(arm64)
        return "arm64"
        #else
        return "amd64"
        #endif
    }

    var layout: Layout { Layout(dataDirectory: dataDirectory) }
}
