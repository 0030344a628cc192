import Synchronization

/// One rank of a ring: the collectives over any `RingTransport`.
///
/// Create one with `TCPCommunicator.connect(_:)` (ranks in separate
/// processes) or `LocalCommunicator.group(worldSize:)` (ranks in one process,
/// over `InMemoryTransport`); both run the same plans, frames and engine.
/// Safe to use from any task.
///
/// Every collective runs on the rank's own `CollectiveThread`, in call order.
/// The first error closes the transport, so the neighbours fail too and the
/// failure travels around the ring instead of leaving anyone waiting; from
/// then on every call throws that error.
public final class RingCommunicator: Communicator, Sendable {
    public let rank: Int
    public let worldSize: Int
    let operationTimeout: Duration
    /// Elements per frame; larger buffers are cut into segments of at most
    /// this many elements so that sending, receiving and reducing overlap.
    let segmentElements: Int
    private let transport: (any RingTransport)?
    private let thread: CollectiveThread
    private let state: Mutex<State>

    private struct State {
        var sequence: UInt64 = 0
        var failure: CollectiveError?
        var scratch: [Float] = []
    }

    init(rank: Int, worldSize: Int, transport: (any RingTransport)?, operationTimeout: Duration, segmentElements: Int = 64 * 1024) {
        precondition(worldSize >= 1 && (0..<worldSize).contains(rank))
        precondition(worldSize == 1 || transport != nil, "a ring of more than one rank needs a transport")
        self.rank = rank
        self.worldSize = worldSize
        self.transport = transport
        self.operationTimeout = operationTimeout
        self.segmentElements = max(1, segmentElements)
        self.thread = CollectiveThread(name: "collective-rank-\(rank)")
        self.state = Mutex(State())
    }

    deinit {
        transport?.close()
        thread.stop()
    }

    public func allReduce(_ buffer: inout [Float], operation: ReduceOperation) async throws(CollectiveError) {
        let plan = RingPlan.allReduce(count: buffer.count, rank: rank, worldSize: worldSize,
                                      segmentElements: segmentElements, operation: operation)
        try await execute(plan, on: &buffer)
    }

    public func broadcast(_ buffer: inout [Float], root: Int) async throws(CollectiveError) {
        guard (0..<worldSize).contains(root) else {
            throw CollectiveError(.invalidArgument, "broadcast root \(root) is not a rank of a world of \(worldSize)")
        }
        let plan = RingPlan.broadcast(count: buffer.count, rank: rank, worldSize: worldSize, root: root,
                                      segmentElements: segmentElements)
        try await execute(plan, on: &buffer)
    }

    public func barrier() async throws(CollectiveError) {
        var empty: [Float] = []
        try await execute(RingPlan.barrier(rank: rank, worldSize: worldSize), on: &empty)
    }

    /// Concatenates every rank's `contribution` (all the same length) in rank
    /// order; every rank receives the same result.
    public func allGather(_ contribution: [Float]) async throws(CollectiveError) -> [Float] {
        let m = contribution.count
        var gathered = [Float](repeating: 0, count: m * worldSize)
        gathered.replaceSubrange((rank * m)..<((rank + 1) * m), with: contribution)
        let plan = RingPlan.allGather(perRank: m, rank: rank, worldSize: worldSize, segmentElements: segmentElements)
        try await execute(plan, on: &gathered)
        return gathered
    }

    public func shutdown() async {
        state.withLock { state in
            if state.failure == nil { state.failure = CollectiveError(.closed, "the communicator was shut down") }
        }
        transport?.close()
        thread.stop()
    }

    /// Fails with the recorded error if the communicator is unusable.
    func checkUsable() throws(CollectiveError) {
        if let failure = state.withLock({ $0.failure }) { throw failure }
    }

    private func execute(_ plan: RingPlan, on buffer: inout [Float]) async throws(CollectiveError) {
        try checkUsable()
        guard worldSize > 1, let transport else { return }
        let box = FloatBuffer()
        swap(&box.values, &buffer)
        defer { swap(&box.values, &buffer) }
        let timeout = operationTimeout
        try await thread.run { [self] () throws(CollectiveError) in
            try self.runOnThread(plan, box: box, transport: transport, timeout: timeout)
        }
    }

    /// Runs on `thread` only.
    private func runOnThread(_ plan: RingPlan, box: FloatBuffer, transport: any RingTransport, timeout: Duration) throws(CollectiveError) {
        let deadline = ContinuousClock.now + timeout
        let (sequence, scratchReady) = try state.withLock { (state) throws(CollectiveError) -> (UInt64, [Float]) in
            if let failure = state.failure { throw failure }
            state.sequence += 1
            var scratch: [Float] = []
            swap(&scratch, &state.scratch)
            if scratch.count < plan.scratchElements { scratch = [Float](repeating: 0, count: plan.scratchElements) }
            return (state.sequence, scratch)
        }
        var scratch = scratchReady
        defer { state.withLock { swap(&$0.scratch, &scratch) } }
        let result: Result<Void, CollectiveError> = box.values.withUnsafeMutableBufferPointer { values in
            scratch.withUnsafeMutableBufferPointer { scratchValues in
                Result { () throws(CollectiveError) in
                    try RingEngine.run(plan, buffer: values, scratch: scratchValues, sequence: sequence,
                                       transport: transport, deadline: deadline)
                }
            }
        }
        if case .failure(let error) = result {
            let recorded = state.withLock { state in
                if state.failure == nil {
                    state.failure = CollectiveError(error.code, "rank \(rank): \(error.message)")
                }
                return state.failure!
            }
            transport.close()
            throw recorded
        }
    }
}

/// Moves an array to the collective thread without copying its storage.
private final class FloatBuffer: @unchecked Sendable {
    var values: [Float] = []
}
