import Foundation

/// Where the local cluster keeps its state under its data directory.
///
/// The API server and the node agent share this layout; both compute paths
/// through this type so they always agree:
///
/// ```
/// <dataDir>/cluster.sqlite                          objects and the watch event log (SQLite, WAL)
/// <dataDir>/kubeconfig                              default kubeconfig written by `ringmaster local up`
/// <dataDir>/pki/                                     the cluster's CA and server certificate (`LocalPKI`)
/// <dataDir>/pods/<namespace>/<name>/<container>.log  container stdout+stderr, served by `pods/log`
/// <dataDir>/pods/<namespace>/<name>/                 the pod's working area (node agent)
/// <dataDir>/volumes/<namespace>/<claim>/             the directory bound to a PersistentVolumeClaim
/// ```
///
/// The node agent writes the container log file (appending); the API server
/// only reads it, so `kubectl logs` shows whatever the process has written so far.
///
/// The data directory and the pod directories are 0700; the database (with
/// its `-wal` and `-shm`), the kubeconfig and the logs are 0600.
public struct Layout: Sendable, Hashable {
    /// The root of the cluster's state.
    public var dataDirectory: URL

    public init(dataDirectory: URL) {
        self.dataDirectory = dataDirectory
    }

    /// The SQLite database holding every object and the watch event log.
    public var databaseFile: URL { dataDirectory.appendingPathComponent("cluster.sqlite") }

    /// The kubeconfig `ringmaster local up` writes unless told otherwise.
    public var defaultKubeconfig: URL { dataDirectory.appendingPathComponent("kubeconfig") }

    /// The directory holding the cluster's CA, its key and the server certificate.
    public var pkiDirectory: URL { dataDirectory.appendingPathComponent("pki", isDirectory: true) }

    /// The directory holding one pod's files.
    ///
    /// Every path built from a name is confined to the data directory: a
    /// namespace, pod, container or claim name that is empty, `.`, `..` or
    /// holds `/` is refused with a `containerConfig` error (see `ConfinedPath`).
    public func podDirectory(namespace: String, name: String) throws(NodeAgentError) -> URL {
        try ConfinedPath.join(dataDirectory.appendingPathComponent("pods", isDirectory: true),
                              [(namespace, "namespace"), (name, "pod name")])
    }

    /// The log file of one container of a pod (stdout and stderr interleaved).
    public func containerLog(namespace: String, pod: String, container: String) throws(NodeAgentError) -> URL {
        let directory = try podDirectory(namespace: namespace, name: pod)
        return directory.appendingPathComponent(try ConfinedPath.component(container, role: "container name") + ".log")
    }

    /// The directory bound to a PersistentVolumeClaim.
    public func volumeDirectory(namespace: String, claim: String) throws(NodeAgentError) -> URL {
        try ConfinedPath.join(dataDirectory.appendingPathComponent("volumes", isDirectory: true),
                              [(namespace, "namespace"), (claim, "claim name")])
    }
}
