import Foundation

extension Layout {
    /// The P-256 key that signs ServiceAccount tokens (PEM, 0600, in a 0700
    /// directory), created on the API server's first start.
    public var serviceAccountSigningKey: URL {
        dataDirectory.appendingPathComponent("pki", isDirectory: true).appendingPathComponent("sa.key")
    }

    /// Where the node agent writes a pod's projected ServiceAccount token,
    /// CA and namespace (0700; files 0600).
    public func serviceAccountDirectory(namespace: String, pod: String) throws(NodeAgentError) -> URL {
        try podDirectory(namespace: namespace, name: pod).appendingPathComponent("serviceaccount", isDirectory: true)
    }
}
