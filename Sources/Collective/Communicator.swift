/// The reduction a collective applies element-wise.
public enum ReduceOperation: Sendable, Hashable {
    case sum
    /// The sum divided by the world size.
    case average
}

/// A group of `worldSize` ranks that exchange float buffers.
///
/// Every rank must call the same collectives in the same order with buffers of
/// the same length. A collective either completes on every live rank or throws
/// on every rank within the communicator's timeout: a dead or stuck peer never
/// makes a rank hang.
public protocol Communicator: Sendable {
    var rank: Int { get }
    var worldSize: Int { get }

    /// Reduces `buffer` across all ranks in place; afterwards every rank holds
    /// the same, bitwise identical result. Any length, including 0.
    func allReduce(_ buffer: inout [Float], operation: ReduceOperation) async throws

    /// Replaces `buffer` on every rank with the one held by `root`.
    func broadcast(_ buffer: inout [Float], root: Int) async throws

    /// Returns once every rank has entered the barrier.
    func barrier() async throws

    /// Closes the connections; later calls throw.
    func shutdown() async
}
