import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts a container's process in a mount namespace of its own, so that
/// directories of the pod appear at fixed paths (the ServiceAccount token at
/// `/var/run/secrets/kubernetes.io/serviceaccount`) for that process and its
/// children only.
///
/// The command becomes util-linux `unshare --mount --propagation private`,
/// then a shell that bind-mounts each directory read-only (creating the
/// mount point on the host if missing) and `exec`s the container's command:
/// the pid stays that of the process the agent started, so signals, process
/// groups and reaping are unchanged, and a parent-death signal set before
/// (`setpriv --pdeathsig KILL` goes first) survives each `exec`. A mount
/// that fails ends the process with status 127 and says why on its stderr.
///
/// Needs CAP_SYS_ADMIN (the agent running as root): `availability` probes
/// once whether a private mount namespace can be made here.
enum PrivateMountNamespace {
    /// Whether containers can get bind mounts, and if not, why.
    enum Availability: Sendable, Equatable {
        case available
        case unavailable(String)
    }

    static let unshare: String? = ["/usr/bin/unshare", "/bin/unshare"].first { access($0, X_OK) == 0 }
    static let mount: String? = ["/usr/bin/mount", "/bin/mount"].first { access($0, X_OK) == 0 }
    static let shell = "/bin/sh"

    /// Probed on first use: root, util-linux present, and `unshare --mount` works.
    static let availability: Availability = {
        #if os(Linux)
        guard geteuid() == 0 else { return .unavailable("the node agent is not running as root") }
        guard let unshare, mount != nil else { return .unavailable("util-linux unshare and mount are not installed") }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: unshare)
        probe.arguments = ["--mount", "--propagation", "private", "--", "/bin/true"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        do {
            try probe.run()
            probe.waitUntilExit()
        } catch {
            return .unavailable("cannot run \(unshare): \(error)")
        }
        return probe.terminationStatus == 0
            ? .available : .unavailable("unshare --mount failed (status \(probe.terminationStatus)): no CAP_SYS_ADMIN here")
        #else
        return .unavailable("mount namespaces exist on Linux only")
        #endif
    }()

    /// The script the shell runs:
    /// `sh -c script sh HOSTNAME WORKDIR src1 dst1 ro|rw ... -- command...`.
    /// An empty HOSTNAME keeps the host's, an empty WORKDIR the current one.
    /// A mount point that does not exist is created (a directory, or an
    /// empty file for a file); on the host when the source is a volume at a
    /// path the host does not have, since the namespace shares its root.
    static func script(mount: String) -> String {
        """
        h=$1; w=$2; shift 2; \
        if [ -n "$h" ]; then hostname "$h" || { echo "cannot set the hostname $h" >&2; exit 127; }; fi; \
        while [ "$1" != -- ]; do \
        if [ -d "$1" ]; then mkdir -p "$2"; else mkdir -p "$(dirname "$2")" && { [ -e "$2" ] || : > "$2"; }; fi && \
        if [ "$3" = rw ]; then \(mount) --bind "$1" "$2"; else \(mount) --bind -o ro "$1" "$2"; fi \
        || { echo "cannot bind-mount $1 at $2" >&2; exit 127; }; \
        shift 3; done; shift; \
        if [ -n "$w" ]; then cd "$w" || { echo "cannot enter the working directory $w" >&2; exit 127; }; fi; \
        exec "$@"
        """
    }

    /// `command` run in a private mount namespace with `bindMounts` in place.
    /// Nil when the namespace cannot be made here (see `availability`).
    static func wrap(_ command: [String], bindMounts: [ContainerLaunch.BindMount]) -> [String]? {
        guard availability == .available, let unshare, let mount else { return nil }
        return [unshare, "--mount", "--propagation", "private", "--", shell, "-c", script(mount: mount), "sh", "", ""]
            + arguments(bindMounts) + ["--"] + command
    }

    /// `command` run in the Pod's network namespace, with a mount and a UTS
    /// namespace of its own: the Pod's hostname, `bindMounts` in place, and
    /// `workingDirectory` (inside the mounts) as its current directory. Nil
    /// when namespaces cannot be made here (see `PodNetwork.availability`).
    static func wrap(
        _ command: [String], bindMounts: [ContainerLaunch.BindMount], isolation: ContainerLaunch.Isolation,
        workingDirectory: String?
    ) -> [String]? {
        guard PodNetwork.availability == .available, let nsenter = PodSandbox.nsenter, let unshare, let mount else { return nil }
        return [nsenter, "--net=\(isolation.networkNamespace)", "--", unshare, "--mount", "--uts", "--propagation", "private", "--",
                shell, "-c", script(mount: mount), "sh", isolation.hostname, workingDirectory ?? ""]
            + arguments(bindMounts) + ["--"] + command
    }

    private static func arguments(_ bindMounts: [ContainerLaunch.BindMount]) -> [String] {
        bindMounts.flatMap { [$0.source, $0.target, $0.readOnly ? "ro" : "rw"] }
    }
}
