import Foundation
import Logging
import ServiceLifecycle

/// The local API server as a swift-service-lifecycle `Service`: `run` starts
/// the server, writes the kubeconfig, forgets kubectl's discovery cache for
/// its address, calls `onReady`, and serves until
/// graceful shutdown (SIGINT/SIGTERM through the `ServiceGroup`) or
/// cancellation, then shuts the server down.
public struct LocalAPIServerService: Service {
    public var server: LocalAPIServer
    public var host: String
    public var port: Int
    /// More addresses to listen on, on the same port (the Pod network's gateway).
    public var additionalHosts: [String]
    public var dataDirectory: URL
    public var kubeconfig: URL?
    public var faults: FaultInjection
    public var onReady: @Sendable (URL) -> Void
    /// Where kubectl's discovery cache is (`KUBECACHEDIR`, `HOME`).
    public var kubectlEnvironment: [String: String]

    public init(server: LocalAPIServer, host: String = "127.0.0.1", port: Int = 0, additionalHosts: [String] = [],
                dataDirectory: URL, kubeconfig: URL? = nil,
                faults: FaultInjection = .none,
                kubectlEnvironment: [String: String] = ProcessInfo.processInfo.environment,
                onReady: @escaping @Sendable (URL) -> Void = { _ in }) {
        self.kubectlEnvironment = kubectlEnvironment
        self.server = server
        self.additionalHosts = additionalHosts
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.kubeconfig = kubeconfig
        self.faults = faults
        self.onReady = onReady
    }

    /// Blocks until graceful shutdown or cancellation.
    public func run() async throws {
        try await server.start(host: host, port: port, additionalHosts: additionalHosts, dataDirectory: dataDirectory, faults: faults)
        do {
            if let kubeconfig { try server.writeKubeconfig(to: kubeconfig) }
            // What kubectl cached for this address came from another server.
            KubectlDiscoveryCache.invalidate(for: server.baseURL, environment: kubectlEnvironment)
            onReady(server.baseURL)
            try? await gracefulShutdown()
        } catch {
            try? await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }
}
