import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A Pod's own network namespace on the `PodNetwork`: `eth0` with the Pod's
/// address, `lo`, and a default route through the bridge. Every container of
/// the Pod joins it (as they join a Kubernetes Pod's sandbox), so containers
/// of one Pod share `localhost` and ports, and two Pods may listen on the same
/// port. The namespace is bound at `/run/netns/<name>`, as `ip netns` does,
/// and removed with its veth pair by `remove()`.
public struct PodSandbox: Sendable, Hashable {
    /// The namespace's name under /run/netns.
    public var name: String
    public var address: String
    /// The path containers enter (`nsenter --net=<path>`).
    public var path: String { "/run/netns/\(name)" }

    static let nsenter: String? = ["/usr/bin/nsenter", "/bin/nsenter"].first { access($0, X_OK) == 0 }

    /// Makes the namespace of the Pod with `address`, replacing a leftover of
    /// an earlier Pod that had the same address.
    public static func create(address: String, network: PodNetwork) throws(NodeAgentError) -> PodSandbox {
        let sandbox = PodSandbox(name: network.namespaceName(for: address), address: address)
        let hostInterface = network.hostInterfaceName(for: address)
        sandbox.remove()
        if FileManager.default.fileExists(atPath: "/sys/class/net/\(hostInterface)") {
            try? IPCommand.run(["link", "delete", hostInterface])
        }
        do {
            try IPCommand.run(["netns", "add", sandbox.name])
            try IPCommand.run(["link", "add", hostInterface, "type", "veth", "peer", "name", "eth0", "netns", sandbox.name])
            try IPCommand.run(["link", "set", hostInterface, "master", network.bridge, "up"])
            try IPCommand.run(["-n", sandbox.name, "addr", "add", "\(address)/\(network.prefixLength)", "dev", "eth0"])
            try IPCommand.run(["-n", sandbox.name, "link", "set", "eth0", "up"])
            try IPCommand.run(["-n", sandbox.name, "link", "set", "lo", "up"])
            try IPCommand.run(["-n", sandbox.name, "route", "add", "default", "via", network.gateway])
        } catch {
            sandbox.remove()
            throw NodeAgentError(.spawnFailed, "cannot make the Pod's network namespace: \(error.message)")
        }
        return sandbox
    }

    /// Deletes the namespace (its veth pair goes with it once no process is left in it).
    public func remove() {
        guard FileManager.default.fileExists(atPath: path) else { return }
        try? IPCommand.run(["netns", "delete", name])
    }
}
