import Testing
@testable import Collective

@Suite("Reduction")
struct ReductionTests {
    @Test("the vectorised sum equals OpenBLAS saxpy bit for bit", arguments: [0, 1, 15, 16, 17, 33, 1000, 65_539])
    func vectorisedMatchesBLAS(count: Int) {
        let source = randomBuffer(count: count, rank: 1)
        var vectorised = randomBuffer(count: count, rank: 2)
        var blas = vectorised
        if count > 0 {
            source.withUnsafeBufferPointer { from in
                vectorised.withUnsafeMutableBufferPointer { Reduction.addVectorised(from.baseAddress!, into: $0.baseAddress!, count: count) }
                blas.withUnsafeMutableBufferPointer { Reduction.addBLAS(from.baseAddress!, into: $0.baseAddress!, count: count) }
            }
        }
        #expect(vectorised.map(\.bitPattern) == blas.map(\.bitPattern))
        let expected = zip(source, randomBuffer(count: count, rank: 2)).map { $0 + $1 }
        #expect(vectorised == expected)
    }

    @Test("division by the world size", arguments: [0, 5, 16, 37])
    func divide(count: Int) {
        var values = randomBuffer(count: count, rank: 3)
        let expected = values.map { $0 / 3 }
        if count > 0 { values.withUnsafeMutableBufferPointer { Reduction.divide($0.baseAddress!, count: count, by: 3) } }
        #expect(values == expected)
    }
}
