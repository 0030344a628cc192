/// Rings whose ranks all live in one process, joined by `InMemoryTransport`:
/// for tests and single-process training. The ranks run the same plans,
/// frames and engine as `TCPCommunicator`'s.
public enum LocalCommunicator {
    /// `worldSize` connected ranks; element `i` is rank `i`. Every collective
    /// throws `timeout` if it does not complete within `timeout`.
    public static func group(worldSize: Int, timeout: Duration = .seconds(30)) -> [RingCommunicator] {
        group(worldSize: worldSize, timeout: timeout, linkCapacity: 1 << 20, segmentElements: 64 * 1024)
    }

    /// A group with explicit in-memory link capacity (bytes in flight per link)
    /// and segment size (elements per frame), to exercise partial transfers.
    public static func group(worldSize: Int, timeout: Duration, linkCapacity: Int, segmentElements: Int) -> [RingCommunicator] {
        precondition(worldSize >= 1, "world size must be at least 1")
        let transports = InMemoryTransport.ring(worldSize: worldSize, capacity: linkCapacity)
        return (0..<worldSize).map { rank in
            RingCommunicator(
                rank: rank, worldSize: worldSize, transport: worldSize > 1 ? transports[rank] : nil,
                operationTimeout: timeout, segmentElements: segmentElements)
        }
    }
}
