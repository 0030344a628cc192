import Foundation
import LocalCluster

/// A local API server started in-process on a free loopback port, with its
/// data in a fresh temporary directory and a kubeconfig written there.
///
/// ```swift
/// let cluster = try await LocalClusterFixture.start()
/// defer { Task { try? await cluster.shutdown() } }   // or call shutdown() at the end of the test
/// // KUBECONFIG=cluster.kubeconfigPath, or talk HTTP to cluster.baseURL
/// ```
public final class LocalClusterFixture: Sendable {
    public let server: LocalAPIServer
    /// `http://127.0.0.1:<port>`.
    public let baseURL: URL
    /// A kubeconfig pointing at the server (for `KUBECONFIG` and `kubectl`).
    public let kubeconfigPath: String
    /// The temporary data directory (SQLite, pod logs, volumes); removed by `shutdown`.
    public let dataDirectory: URL

    private init(server: LocalAPIServer, baseURL: URL, kubeconfigPath: String, dataDirectory: URL) {
        self.server = server
        self.baseURL = baseURL
        self.kubeconfigPath = kubeconfigPath
        self.dataDirectory = dataDirectory
    }

    /// Starts a server. `faults` injects failures (off by default);
    /// `options` shortens windows and intervals for tests.
    public static func start(
        faults: FaultInjection = .none, options: LocalAPIServer.Options = LocalAPIServer.Options()
    ) async throws -> LocalClusterFixture {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ringmaster-local-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let server = LocalAPIServer(options: options)
        try await server.start(host: "127.0.0.1", port: 0, dataDirectory: directory, faults: faults)
        let kubeconfig = directory.appendingPathComponent("kubeconfig")
        try server.writeKubeconfig(to: kubeconfig)
        return LocalClusterFixture(server: server, baseURL: server.baseURL, kubeconfigPath: kubeconfig.path, dataDirectory: directory)
    }

    /// The environment for running `kubectl` against this cluster.
    public var kubectlEnvironment: [String: String] { ["KUBECONFIG": kubeconfigPath] }

    /// Stops the server and removes the data directory.
    public func shutdown() async throws {
        try await server.shutdown()
        try? FileManager.default.removeItem(at: dataDirectory)
    }
}
