import Foundation

/// One pod's entry in a namespace's hosts file.
public struct HostsEntry: Sendable, Hashable, Comparable {
    public var address: String
    public var hostname: String
    public var subdomain: String
    public var namespace: String

    public init(address: String, hostname: String, subdomain: String, namespace: String) {
        self.address = address
        self.hostname = hostname
        self.subdomain = subdomain
        self.namespace = namespace
    }

    /// `<ip> <h>.<s>.<ns>.svc.cluster.local <h>.<s>.<ns>.svc <h>.<s> <h>`.
    public var line: String {
        let base = "\(hostname).\(subdomain)"
        return "\(address) \(base).\(namespace).svc.cluster.local \(base).\(namespace).svc \(base) \(hostname)"
    }

    public static func < (lhs: HostsEntry, rhs: HostsEntry) -> Bool {
        (lhs.subdomain, lhs.hostname, lhs.address) < (rhs.subdomain, rhs.hostname, rhs.address)
    }
}

/// The hosts-format files that stand in for cluster DNS.
///
/// There is no DNS server in the local cluster, so each namespace gets a file
/// `<directory>/<namespace>` in `/etc/hosts` format listing every pod with
/// both `hostname` and `subdomain` set (as a headless Service would resolve
/// them). Containers find it through `RINGMASTER_HOSTS_FILE`. Each write
/// replaces the file atomically (write to a temporary file, then rename), so
/// a reader never sees half a file.
public struct HostsFile: Sendable {
    public var directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// The path of the file for `namespace`.
    public func path(for namespace: String) -> URL {
        directory.appendingPathComponent(namespace)
    }

    /// The file's text for these entries, sorted for stable output.
    public static func render(_ entries: [HostsEntry]) -> String {
        var text = "# Pod names of the local cluster, maintained by its node agent.\n"
        for entry in entries.sorted() { text += entry.line + "\n" }
        return text
    }

    /// Replaces the file of `namespace` with `entries`.
    public func write(_ entries: [HostsEntry], namespace: String) throws(NodeAgentError) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(Self.render(entries).utf8).write(to: path(for: namespace), options: .atomic)
        } catch {
            throw NodeAgentError(.fileSystem, "cannot write hosts file for namespace \(namespace): \(error)")
        }
    }
}
