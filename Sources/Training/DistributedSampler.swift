/// Which samples each rank trains on in each epoch (the semantics of
/// PyTorch's `DistributedSampler` with `drop_last`).
///
/// Every rank computes the same permutation of `0..<datasetCount` from
/// `seed` and the epoch; rank `r` takes positions `r, r + W, r + 2W, ...` of
/// it. The tail that does not fill a whole round of `W` is dropped, so every
/// rank gets exactly `datasetCount / W` samples and takes the same number of
/// steps; over an epoch the shards are disjoint and their union is the
/// permutation's first `W * (datasetCount / W)` entries.
public struct DistributedSampler: Sendable, Hashable {
    public var datasetCount: Int
    public var rank: Int
    public var worldSize: Int
    public var seed: UInt64
    public var shuffle: Bool

    public init(datasetCount: Int, rank: Int, worldSize: Int, seed: UInt64, shuffle: Bool = true) {
        precondition(worldSize >= 1 && rank >= 0 && rank < worldSize, "rank must be in 0..<worldSize")
        precondition(datasetCount >= 0, "datasetCount must not be negative")
        self.datasetCount = datasetCount
        self.rank = rank
        self.worldSize = worldSize
        self.seed = seed
        self.shuffle = shuffle
    }

    /// The number of samples each rank takes per epoch.
    public var samplesPerRank: Int { datasetCount / worldSize }

    /// The permutation of the whole data set for `epoch`, the same on every rank.
    public func permutation(epoch: Int) -> [Int] {
        var order = Array(0..<datasetCount)
        guard shuffle, datasetCount > 1 else { return order }
        var generator = SplitMix64.derived(seed: seed, stream: UInt64(epoch))
        // Fisher-Yates, drawing with the platform-independent bounded generator.
        for index in stride(from: datasetCount - 1, to: 0, by: -1) {
            let other = Int(generator.next(below: UInt64(index + 1)))
            order.swapAt(index, other)
        }
        return order
    }

    /// This rank's sample indices for `epoch`, in the order it visits them.
    public func indices(epoch: Int) -> [Int] {
        let order = permutation(epoch: epoch)
        return (0..<samplesPerRank).map { order[rank + $0 * worldSize] }
    }
}
