/// One rank of a group of ranks that live in one process, joined by an
/// in-memory ring.
///
/// It runs the same plans, frames and engine as `TCPCommunicator`, over
/// `InMemoryTransport`: use it in tests and single-process training. Safe to
/// use from any task; collectives on one rank run in call order.
public final class LocalCommunicator: Communicator, Sendable {
    private let collectives: RingCollectives

    public var rank: Int { collectives.rank }
    public var worldSize: Int { collectives.worldSize }

    init(collectives: RingCollectives) {
        self.collectives = collectives
    }

    /// `worldSize` connected ranks; element `i` is rank `i`. Every collective
    /// throws `timeout` if it does not complete within `timeout`.
    public static func group(worldSize: Int, timeout: Duration = .seconds(30)) -> [LocalCommunicator] {
        group(worldSize: worldSize, timeout: timeout, linkCapacity: 1 << 20, segmentElements: 64 * 1024)
    }

    /// A group with explicit in-memory link capacity (bytes in flight per link)
    /// and segment size (elements per frame), to exercise partial transfers.
    public static func group(worldSize: Int, timeout: Duration, linkCapacity: Int, segmentElements: Int) -> [LocalCommunicator] {
        precondition(worldSize >= 1, "world size must be at least 1")
        let transports = InMemoryTransport.ring(worldSize: worldSize, capacity: linkCapacity)
        return (0..<worldSize).map { rank in
            LocalCommunicator(collectives: RingCollectives(
                rank: rank, worldSize: worldSize, transport: worldSize > 1 ? transports[rank] : nil,
                operationTimeout: timeout, segmentElements: segmentElements))
        }
    }

    public func allReduce(_ buffer: inout [Float], operation: ReduceOperation) async throws {
        try await collectives.allReduce(&buffer, operation: operation)
    }

    public func broadcast(_ buffer: inout [Float], root: Int) async throws {
        try await collectives.broadcast(&buffer, root: root)
    }

    public func barrier() async throws {
        try await collectives.barrier()
    }

    /// Concatenates every rank's `contribution` (all the same length) in rank
    /// order; every rank receives the same result.
    public func allGather(_ contribution: [Float]) async throws -> [Float] {
        try await collectives.allGather(contribution)
    }

    public func shutdown() async {
        await collectives.shutdown()
    }
}
