import Testing
@testable import Training

@Suite struct DistributedSamplerTests {
    @Test(arguments: [(100, 1), (100, 2), (101, 2), (103, 4), (7, 3)])
    func shardsAreDisjointEqualAndCoverTheEpoch(count: Int, worldSize: Int) {
        for epoch in 0..<2 {
            let samplers = (0..<worldSize).map {
                DistributedSampler(datasetCount: count, rank: $0, worldSize: worldSize, seed: 17)
            }
            let shards = samplers.map { $0.indices(epoch: epoch) }
            #expect(Set(shards.map(\.count)) == [count / worldSize])
            let union = shards.flatMap { $0 }
            #expect(Set(union).count == union.count, "shards overlap")
            // The union is exactly the permutation's first W * (count / W) entries.
            let permutation = samplers[0].permutation(epoch: epoch)
            #expect(Set(union) == Set(permutation[0..<(worldSize * (count / worldSize))]))
            #expect(permutation.sorted() == Array(0..<count))
        }
    }

    @Test func permutationDependsOnSeedAndEpochOnly() {
        let a = DistributedSampler(datasetCount: 50, rank: 0, worldSize: 2, seed: 1)
        let b = DistributedSampler(datasetCount: 50, rank: 1, worldSize: 2, seed: 1)
        #expect(a.permutation(epoch: 3) == b.permutation(epoch: 3))
        #expect(a.permutation(epoch: 3) != a.permutation(epoch: 4))
        #expect(a.permutation(epoch: 0) != DistributedSampler(datasetCount: 50, rank: 0, worldSize: 2, seed: 2).permutation(epoch: 0))
        #expect(a.permutation(epoch: 0) != Array(0..<50))
    }

    @Test func ranksInterleaveThePermutation() {
        let samplers = (0..<3).map { DistributedSampler(datasetCount: 30, rank: $0, worldSize: 3, seed: 5) }
        let permutation = samplers[0].permutation(epoch: 1)
        for sampler in samplers {
            #expect(sampler.indices(epoch: 1) == stride(from: sampler.rank, to: 30, by: 3).map { permutation[$0] })
        }
    }
}
