import Foundation
import KubeClient
import LocalCluster

/// A local API server started in-process on a free loopback port, with its
/// data in a fresh temporary directory and an administrator's kubeconfig
/// written there.
///
/// ```swift
/// let cluster = try await LocalClusterFixture.start()
/// defer { Task { try? await cluster.shutdown() } }   // or call shutdown() at the end of the test
/// // KUBECONFIG=cluster.kubeconfigPath, or KubernetesClient(config: cluster.kubeConfig)
/// ```
public final class LocalClusterFixture: Sendable {
    public let server: LocalAPIServer
    /// `https://127.0.0.1:<port>`.
    public let baseURL: URL
    /// A kubeconfig pointing at the server (for `KUBECONFIG` and `kubectl`),
    /// as the administrator `ringmaster-admin` in `system:masters`.
    public let kubeconfigPath: String
    /// The same as a `KubeConfig`: the server, its CA and the administrator's
    /// client certificate.
    public let kubeConfig: KubeConfig
    /// The temporary data directory (SQLite, pod logs, volumes); removed by `shutdown`.
    public let dataDirectory: URL
    /// The Pod network, when started with one: node agents given it run
    /// each Pod in namespaces of its own; the server listens on its gateway
    /// too. Released by `shutdown`.
    public let podNetwork: PodNetwork?

    private init(
        server: LocalAPIServer, baseURL: URL, kubeconfigPath: String, kubeConfig: KubeConfig, dataDirectory: URL,
        podNetwork: PodNetwork?
    ) {
        self.podNetwork = podNetwork
        self.server = server
        self.baseURL = baseURL
        self.kubeconfigPath = kubeconfigPath
        self.kubeConfig = kubeConfig
        self.dataDirectory = dataDirectory
    }

    /// Starts a server. `faults` injects failures (off by default);
    /// `options` shortens windows and intervals for tests, and adds token
    /// authenticators; `podNetwork` makes a Pod network for node agents
    /// (root only; see `PodNetwork`).
    public static func start(
        faults: FaultInjection = .none, options: LocalAPIServer.Options = LocalAPIServer.Options(),
        podNetwork: Bool = false
    ) async throws -> LocalClusterFixture {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ringmaster-local-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let network = podNetwork ? try PodNetwork.acquire() : nil
        let server = LocalAPIServer(options: options)
        do {
            try await server.start(
                host: "127.0.0.1", port: 0, additionalHosts: network.map { [$0.gateway] } ?? [], dataDirectory: directory,
                faults: faults)
        } catch {
            network?.release()
            throw error
        }
        let kubeconfig = directory.appendingPathComponent("kubeconfig")
        do {
            try server.writeKubeconfig(to: kubeconfig)
            return LocalClusterFixture(
                server: server, baseURL: server.baseURL, kubeconfigPath: kubeconfig.path,
                kubeConfig: try KubeConfig.load(kubeconfigPath: kubeconfig.path), dataDirectory: directory,
                podNetwork: network)
        } catch {
            try? await server.shutdown()
            network?.release()
            throw error
        }
    }

    /// A configuration that authenticates as `user` in `groups` with a new
    /// client certificate from the cluster's CA.
    public func kubeConfig(user: String, groups: [String]) throws -> KubeConfig {
        guard let pki = server.pki else { throw LocalAPIServerError.notRunning }
        let issued = try pki.issueClientCertificate(user: user, groups: groups)
        var config = kubeConfig
        config.tls.clientCertificatePEM = Data(issued.certificatePEM.utf8)
        config.tls.clientKeyPEM = Data(issued.privateKeyPEM.utf8)
        config.credentials = .none
        return config
    }

    /// A configuration that authenticates with a bearer token, trusting the cluster's CA.
    public func kubeConfig(token: String) -> KubeConfig {
        var config = kubeConfig
        config.tls.clientCertificatePEM = nil
        config.tls.clientKeyPEM = nil
        config.credentials = .token(token)
        return config
    }

    /// Writes a kubeconfig for `user` in `groups` (for `kubectl` as someone
    /// other than the administrator) into the data directory; returns its path.
    public func writeKubeconfig(named name: String, user: String, groups: [String]) throws -> String {
        let url = dataDirectory.appendingPathComponent(name)
        try server.writeKubeconfig(to: url, user: user, groups: groups)
        return url.path
    }

    /// Writes a kubeconfig that authenticates with the bearer `token` into
    /// the data directory; returns its path.
    public func writeKubeconfig(named name: String, token: String) throws -> String {
        let url = dataDirectory.appendingPathComponent(name)
        try server.writeKubeconfig(to: url, token: token)
        return url.path
    }

    /// The environment for running `kubectl` or `helm` against this cluster:
    /// its kubeconfig, and a discovery cache of its own (a shared one, keyed
    /// by address, could hold what another test's server on the same port served).
    public var kubectlEnvironment: [String: String] {
        ["KUBECONFIG": kubeconfigPath, "KUBECACHEDIR": dataDirectory.appendingPathComponent("kubectl-cache").path]
    }

    /// Stops the server and removes the data directory.
    public func shutdown() async throws {
        defer { podNetwork?.release() }
        try await server.shutdown()
        try? FileManager.default.removeItem(at: dataDirectory)
    }
}
