/// Hands out a unique loopback address to each pod.
///
/// Linux routes all of 127.0.0.0/8 to the loopback interface, so a worker can
/// listen on its own pod address with no network setup. Addresses start at
/// `127.0.0.2` (`127.0.0.1` is the host, where the API server listens), run
/// through `127.0.0.254`, then continue in `127.0.1.x`, and so on up to
/// `127.0.255.254`. An address returns to the pool when its pod is released
/// and is not handed out again before the pool has cycled, so that a peer
/// still talking to a dead pod's address does not reach its successor.
/// A value type: the node agent keeps it inside its state actor.
public struct PodAddressPool: Sendable, Hashable {
    private var assigned: [String: UInt32] = [:]
    private var inUse: Set<UInt32> = []
    private var next: UInt32
    private let first: UInt32
    private let last: UInt32

    /// - Parameters:
    ///   - first: the first address handed out (default `127.0.0.2`).
    ///   - last: the last address of the pool (default `127.0.255.254`).
    public init(first: String = "127.0.0.2", last: String = "127.0.255.254") throws(NodeAgentError) {
        guard let low = Self.parse(first), let high = Self.parse(last), low <= high else {
            throw NodeAgentError(.invalidConfiguration, "invalid pod address range \(first)-\(last)")
        }
        self.first = low
        self.last = high
        self.next = low
    }

    /// The address of the pod with `uid`, assigning one if it has none.
    public mutating func address(for uid: String) throws(NodeAgentError) -> String {
        if let existing = assigned[uid] { return Self.format(existing) }
        let size = last - first + 1
        for _ in 0..<size {
            let candidate = next
            next = next == last ? first : next + 1
            let lowOctet = candidate & 0xff
            if lowOctet == 0 || lowOctet == 255 || inUse.contains(candidate) { continue }
            assigned[uid] = candidate
            inUse.insert(candidate)
            return Self.format(candidate)
        }
        throw NodeAgentError(.addressesExhausted, "no free pod address left in \(Self.format(first))-\(Self.format(last))")
    }

    /// Records that the pod with `uid` already holds `address` (for example
    /// after the agent restarts); ignored when the address is outside the pool
    /// or taken by another pod.
    public mutating func reserve(_ address: String, for uid: String) {
        guard assigned[uid] == nil, let value = Self.parse(address), value >= first, value <= last,
              !inUse.contains(value)
        else { return }
        assigned[uid] = value
        inUse.insert(value)
    }

    /// Returns the address of the pod with `uid` to the pool.
    public mutating func release(_ uid: String) {
        if let value = assigned.removeValue(forKey: uid) { inUse.remove(value) }
    }

    /// The address currently assigned to `uid`, if any.
    public func assignedAddress(of uid: String) -> String? {
        assigned[uid].map(Self.format)
    }

    static func parse(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let octet = UInt8(part) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }

    static func format(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }
}
