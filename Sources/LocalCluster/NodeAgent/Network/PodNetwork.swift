import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The local cluster's Pod network: a Linux bridge with one IPv4 block,
/// to which every Pod's network namespace is attached by a veth pair, as
/// the CNI bridge plugin attaches them.
///
/// Blocks are /22s of `10.244.0.0/14` (256 of them, 1,021 Pod addresses
/// each). `acquire` takes the first block that no other local cluster on
/// this machine holds (an exclusive `flock` on
/// `/run/ringmaster/networks/<index>.lock`, released by the kernel when the
/// process ends, however it ends) and that no interface of the host already
/// uses. The bridge is `rmbr<index>` and holds the block's first address,
/// the Pods' gateway; the API server listens there too, so every Pod reaches
/// it. Whatever a dead holder of the block left behind (its bridge, its Pods'
/// namespaces) is removed when the block is acquired again.
///
/// Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and iproute2's `ip`.
public final class PodNetwork: Sendable {
    /// The block's number, 0-255.
    public let index: Int
    /// The bridge's interface name.
    public let bridge: String
    /// The bridge's address: the Pods' default route and the API server's address for Pods.
    public let gateway: String
    public let prefixLength: Int
    /// The first and last address a Pod may get.
    public let firstPodAddress: String
    public let lastPodAddress: String
    private let lock: Mutex<Int32>

    static let base: UInt32 = 0x0AF4_0000  // 10.244.0.0
    static let blockSize: UInt32 = 1024
    static let blockCount = 256
    static let lockDirectory = "/run/ringmaster/networks"
    static let namespacePrefix = "rm"

    private init(index: Int, lockDescriptor: Int32) {
        self.index = index
        self.bridge = "rmbr\(index)"
        let start = Self.base + UInt32(index) * Self.blockSize
        self.gateway = PodAddressPool.format(start + 1)
        self.prefixLength = 22
        self.firstPodAddress = PodAddressPool.format(start + 2)
        self.lastPodAddress = PodAddressPool.format(start + Self.blockSize - 2)
        self.lock = Mutex(lockDescriptor)
    }

    /// The addresses Pods of this network get; a node with a share of its
    /// own passes a narrower range of the block.
    public func addressPool() throws(NodeAgentError) -> PodAddressPool {
        try PodAddressPool(first: firstPodAddress, last: lastPodAddress)
    }

    /// Takes a free block and makes its bridge. Throws `invalidConfiguration`
    /// with the reason and the fix when this process cannot make networks
    /// (not root, no `ip`), or when every block is taken.
    public static func acquire() throws(NodeAgentError) -> PodNetwork {
        if case .unavailable(let reason) = availability {
            throw NodeAgentError(.invalidConfiguration, "Pods cannot get network namespaces here: \(reason)")
        }
        do {
            try FileManager.default.createDirectory(atPath: lockDirectory, withIntermediateDirectories: true)
        } catch {
            throw NodeAgentError(.fileSystem, "cannot create \(lockDirectory): \(error)")
        }
        let used = hostAddressRanges()
        for index in 0..<blockCount {
            let start = base + UInt32(index) * blockSize
            let bridge = "rmbr\(index)"
            if used.contains(where: { $0.interface != bridge && $0.overlaps(start, start + blockSize - 1) }) { continue }
            let descriptor = open("\(lockDirectory)/\(index).lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                throw NodeAgentError(.fileSystem, "cannot open \(lockDirectory)/\(index).lock: \(String(cString: strerror(errno)))")
            }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                close(descriptor)
                continue
            }
            let network = PodNetwork(index: index, lockDescriptor: descriptor)
            do {
                try network.removeLeftovers()
                try IPCommand.run(["link", "add", bridge, "type", "bridge"])
                // A bridge whose address nobody set takes the lowest of its
                // ports' addresses, so it would change whenever a Pod's veth
                // comes or goes, and every other Pod's cached neighbour entry
                // for the gateway (the API server) would point at an address
                // that no longer answers until it expires. A set address stays.
                try IPCommand.run(["link", "set", bridge, "address", network.bridgeMACAddress])
                try IPCommand.run(["addr", "add", "\(network.gateway)/\(network.prefixLength)", "dev", bridge])
                try IPCommand.run(["link", "set", bridge, "up"])
            } catch {
                network.release()
                throw error
            }
            return network
        }
        throw NodeAgentError(.addressesExhausted, "all \(blockCount) Pod networks of 10.244.0.0/14 are in use on this machine")
    }

    /// The bridge's fixed hardware address: locally administered, unicast,
    /// and unique on the machine because the block index is.
    public var bridgeMACAddress: String {
        String(format: "02:72:6d:62:%02x:%02x", (index >> 8) & 0xff, index & 0xff)
    }

    /// Removes the bridge and every Pod namespace of the block, and frees the block.
    public func release() {
        let descriptor = lock.withLock { descriptor in
            defer { descriptor = -1 }
            return descriptor
        }
        guard descriptor >= 0 else { return }
        try? removeLeftovers()
        close(descriptor)
    }

    deinit { release() }

    /// The network namespace name of the Pod with `address` (unique per block and address).
    func namespaceName(for address: String) -> String {
        "\(Self.namespacePrefix)\(index)-\(hostNumber(address))"
    }

    /// The host end of the Pod's veth pair (at most 15 characters).
    func hostInterfaceName(for address: String) -> String {
        "rmv\(index)-\(hostNumber(address))"
    }

    private func hostNumber(_ address: String) -> UInt32 {
        (PodAddressPool.parse(address) ?? 0) &- (Self.base + UInt32(index) * Self.blockSize)
    }

    private func removeLeftovers() throws(NodeAgentError) {
        let prefix = "\(Self.namespacePrefix)\(index)-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? [] where name.hasPrefix(prefix) {
            try? IPCommand.run(["netns", "delete", name])
        }
        if FileManager.default.fileExists(atPath: "/sys/class/net/\(bridge)") {
            try IPCommand.run(["link", "delete", bridge])
        }
    }

    /// Whether this process can make Pod networks, and if not, why and how to fix it.
    public enum Availability: Sendable, Equatable {
        case available
        case unavailable(String)
    }

    public static let availability: Availability = {
        #if os(Linux)
        guard geteuid() == 0 else {
            return .unavailable("network and mount namespaces need root (CAP_NET_ADMIN, CAP_SYS_ADMIN); run `ringmaster local up` as root, for example with sudo")
        }
        guard IPCommand.path != nil else {
            return .unavailable("iproute2's `ip` is not installed; install it (apt-get install iproute2)")
        }
        guard PodSandbox.nsenter != nil, PrivateMountNamespace.unshare != nil else {
            return .unavailable("util-linux's nsenter and unshare are not installed; install util-linux")
        }
        return .available
        #else
        return .unavailable("network namespaces exist on Linux only")
        #endif
    }()

    /// An IPv4 range configured on a host interface.
    struct HostRange {
        var interface: String
        var first: UInt32
        var last: UInt32
        func overlaps(_ low: UInt32, _ high: UInt32) -> Bool { first <= high && low <= last }
    }

    /// Every IPv4 network on the host's interfaces (`ip -4 -o addr show`).
    static func hostAddressRanges() -> [HostRange] {
        guard let output = try? IPCommand.output(["-4", "-o", "addr", "show"]) else { return [] }
        var ranges: [HostRange] = []
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let inet = fields.firstIndex(of: "inet"), inet + 1 < fields.count, fields.count > 1 else { continue }
            let parts = fields[inet + 1].split(separator: "/")
            guard parts.count == 2, let address = PodAddressPool.parse(String(parts[0])), let length = UInt32(parts[1]), length <= 32
            else { continue }
            let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << (32 - length)
            ranges.append(HostRange(interface: String(fields[1]), first: address & mask, last: (address & mask) | ~mask))
        }
        return ranges
    }
}
