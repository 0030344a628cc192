import Foundation
#if canImport(Glibc)
import Glibc
#endif

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

    /// The path of the file for `namespace`; a namespace that is not a
    /// single path component is refused (`containerConfig`).
    public func path(for namespace: String) throws(NodeAgentError) -> URL {
        try ConfinedPath.join(directory, [(namespace, "namespace")], directory: false)
    }

    /// Whether `entry` can be written: hostname, subdomain and namespace are
    /// DNS labels (so no entry can add a line or a name of its own).
    public static func isWritable(_ entry: HostsEntry) -> Bool {
        NameRules.dns1123Label(entry.hostname).isEmpty && NameRules.dns1123Label(entry.subdomain).isEmpty
            && NameRules.dns1123Label(entry.namespace).isEmpty
    }

    /// The file's text for these entries, sorted for stable output.
    public static func render(_ entries: [HostsEntry]) -> String {
        var text = "# Pod names of the local cluster, maintained by its node agent.\n"
        for entry in entries.sorted() { text += entry.line + "\n" }
        return text
    }

    /// The file a Pod in its own namespaces sees at `/etc/hosts`.
    public func podFile(uid: String) -> URL {
        // ".pods" cannot be a namespace's name, so it never meets a namespace's file.
        directory.appendingPathComponent(".pods").appendingPathComponent(uid.isEmpty ? "unknown" : uid)
    }

    /// What a Pod in its own namespaces sees at `/etc/resolv.conf`.
    ///
    /// The local cluster has no DNS server, and no nameserver is reachable
    /// from a Pod's network, so the resolver asks the Pod's own loopback,
    /// where nothing listens: a name or address that `/etc/hosts` cannot
    /// answer fails at once. With the machine's nameserver instead, every
    /// such lookup (torch's reverse lookup of each peer, for one) would wait
    /// for an answer that never comes, seconds each.
    public static let resolverText = """
        # The local cluster has no DNS server: Pod and Service names are in /etc/hosts.
        # Nothing listens on the Pod's loopback port 53, so other lookups fail at once.
        nameserver 127.0.0.1
        options timeout:1 attempts:1

        """

    /// Writes `resolverText` to the file every Pod in its own namespaces
    /// shares at `/etc/resolv.conf` (read-only), unless it holds that text
    /// already; returns its path.
    @discardableResult
    public func writeResolverFile() throws(NodeAgentError) -> URL {
        // ".resolv.conf" cannot be a namespace's name, so it never meets a namespace's file.
        let file = directory.appendingPathComponent(".resolv.conf")
        if let current = try? String(contentsOf: file, encoding: .utf8), current == Self.resolverText { return file }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(Self.resolverText.utf8).write(to: file, options: .atomic)
        } catch {
            throw NodeAgentError(.fileSystem, "cannot write \(file.path): \(error)")
        }
        return file
    }

    /// A Pod's `/etc/hosts`: localhost, the Pod's own address and hostname,
    /// then its namespace's Pods, as the kubelet writes it with cluster DNS
    /// standing behind.
    public static func renderPodFile(address: String, hostname: String, namespaceEntries: [HostsEntry]) -> String {
        var text = """
            # Kubernetes-managed hosts file (the local cluster's node agent).
            127.0.0.1	localhost
            ::1	localhost ip6-localhost ip6-loopback
            fe00::0	ip6-localnet
            fe00::1	ip6-mcastprefix
            fe00::2	ip6-allrouters

            """
        let own = namespaceEntries.first { $0.address == address && $0.hostname == hostname }
        if own == nil { text += "\(address)\t\(hostname)\n" }
        for entry in namespaceEntries.sorted() { text += entry.line + "\n" }
        return text
    }

    /// Writes a Pod's file in place (the file is bind-mounted, so it must
    /// keep its inode): the new text over the old, then cut to its length.
    /// A reader racing the write may see the two mixed for an instant; the
    /// resolver reads the file again at each lookup.
    public func writePodFile(uid: String, text: String) throws(NodeAgentError) {
        let file = podFile(uid: uid)
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw NodeAgentError(.fileSystem, "cannot create \(file.deletingLastPathComponent().path): \(error)")
        }
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard descriptor >= 0 else {
            throw NodeAgentError(.fileSystem, "cannot write \(file.path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        guard written == bytes.count, ftruncate(descriptor, off_t(bytes.count)) == 0 else {
            throw NodeAgentError(.fileSystem, "cannot write \(file.path): \(String(cString: strerror(errno)))")
        }
    }

    /// Removes a Pod's file.
    public func removePodFile(uid: String) {
        try? FileManager.default.removeItem(at: podFile(uid: uid))
    }

    /// Replaces the file of `namespace` with `entries`. Refuses
    /// (`containerConfig`) an entry that `isWritable` rejects, writing nothing.
    public func write(_ entries: [HostsEntry], namespace: String) throws(NodeAgentError) {
        let file = try path(for: namespace)
        if let bad = entries.first(where: { !Self.isWritable($0) }) {
            throw NodeAgentError(.containerConfig, "hosts entry \"\(bad.hostname).\(bad.subdomain).\(bad.namespace)\" is not made of DNS labels")
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(Self.render(entries).utf8).write(to: file, options: .atomic)
        } catch {
            throw NodeAgentError(.fileSystem, "cannot write hosts file for namespace \(namespace): \(error)")
        }
    }
}
