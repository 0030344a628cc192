import Testing
@testable import Collective

@Suite("RingPlan")
struct RingPlanTests {
    static func plans(_ n: Int, _ make: (Int) -> RingPlan) -> [RingPlan] { (0..<n).map(make) }

    /// What rank r receives, in order, is exactly what rank r-1 sends.
    static func linksAgree(_ plans: [RingPlan]) -> Bool {
        let n = plans.count
        return (0..<n).allSatisfy { r in
            plans[r].receives.map(\.elements) == plans[(r + n - 1) % n].sends.map(\.elements)
        }
    }

    @Test("all-reduce: links agree, and every element is reduced by N-1 receives and copied by N-1",
          arguments: [2, 3, 5, 8], [0, 1, 7, 1000])
    func allReduce(worldSize n: Int, count: Int) {
        let plans = Self.plans(n) { RingPlan.allReduce(count: count, rank: $0, worldSize: n, segmentElements: 64, operation: .average) }
        #expect(Self.linksAgree(plans))
        var reduced = [Int](repeating: 0, count: count)
        var copied = [Int](repeating: 0, count: count)
        var divided = [Int](repeating: 0, count: count)
        for plan in plans {
            for receive in plan.receives {
                for i in receive.elements {
                    switch receive.action {
                    case .copy: copied[i] += 1
                    case .reduce: reduced[i] += 1
                    case .reduceThenDivide: reduced[i] += 1; divided[i] += 1
                    }
                }
            }
            // A send never waits for a receive that comes after it in its own plan.
            #expect(plan.sends.allSatisfy { $0.after <= plan.receives.count })
        }
        #expect(reduced.allSatisfy { $0 == n - 1 })
        #expect(copied.allSatisfy { $0 == n - 1 })
        #expect(divided.allSatisfy { $0 == 1 })
    }

    @Test("broadcast: every non-root rank receives the whole buffer once", arguments: [2, 3, 6])
    func broadcast(worldSize n: Int) {
        for root in 0..<n {
            let plans = Self.plans(n) { RingPlan.broadcast(count: 1001, rank: $0, worldSize: n, root: root, segmentElements: 100) }
            #expect(Self.linksAgree(plans))
            for (rank, plan) in plans.enumerated() {
                let received = plan.receives.reduce(0) { $0 + $1.elements.count }
                #expect(received == (rank == root ? 0 : 1001))
            }
        }
    }

    @Test("all-gather and barrier links agree", arguments: [2, 4, 7])
    func others(worldSize n: Int) {
        #expect(Self.linksAgree(Self.plans(n) { RingPlan.allGather(perRank: 33, rank: $0, worldSize: n, segmentElements: 10) }))
        #expect(Self.linksAgree(Self.plans(n) { RingPlan.barrier(rank: $0, worldSize: n) }))
    }
}
