/// The frames one rank sends and receives for one collective, in wire order,
/// and what to do with each received payload.
///
/// Plans are pure values computed from (collective, element count, rank,
/// world size, segment size), so every rank derives the same schedule
/// independently and tests can check them without a transport.
struct RingPlan: Sendable {
    enum Action: Sendable, Equatable {
        /// Write the payload over the region.
        case copy
        /// Add the payload into the region.
        case reduce
        /// Add the payload into the region, then divide the region by the
        /// divisor (the owner finishing an average).
        case reduceThenDivide(Float)
    }

    struct Send: Sendable, Equatable {
        /// Elements of the buffer to send.
        var elements: Range<Int>
        /// How many receives must have completed before this send may start.
        var after: Int
    }

    struct Receive: Sendable, Equatable {
        var elements: Range<Int>
        var action: Action
    }

    var collective: FrameHeader.Collective
    var aux: UInt16 = 0
    var elementCount: Int
    var sends: [Send] = []
    var receives: [Receive] = []

    /// The longest payload that goes through the scratch buffer.
    var scratchElements: Int {
        receives.lazy.filter { $0.action != .copy }.map(\.elements.count).max() ?? 0
    }

    /// Splits `range` into `parts` contiguous, nearly equal pieces.
    static func split(_ range: Range<Int>, parts: Int, part: Int) -> Range<Int> {
        let n = range.count
        return (range.lowerBound + part * n / parts)..<(range.lowerBound + (part + 1) * n / parts)
    }

    static func segments(longest: Int, segmentElements: Int) -> Int {
        max(1, (longest + segmentElements - 1) / segmentElements)
    }

    /// Ring all-reduce: N-1 reduce-scatter steps then N-1 all-gather steps,
    /// every chunk cut into the same number of segments so that segment k of
    /// step g+1 is sent as soon as segment k of step g has been received (and
    /// reduced). At step g rank r sends chunk (r-g) mod N and receives chunk
    /// (r-g-1) mod N; rank r owns chunk (r+1) mod N: it alone finishes its
    /// reduction (in ring order, starting from rank r+2), and every other rank
    /// receives a copy of the owner's bits.
    static func allReduce(count: Int, rank: Int, worldSize n: Int, segmentElements: Int, operation: ReduceOperation) -> RingPlan {
        var plan = RingPlan(collective: .allReduce, elementCount: count)
        guard n > 1 else { return plan }
        let chunk = { (c: Int) in split(0..<count, parts: n, part: c) }
        let s = segments(longest: (count + n - 1) / n, segmentElements: segmentElements)
        for g in 0..<(2 * (n - 1)) {
            let sendChunk = chunk(((rank - g) % n + n) % n)
            let receiveChunk = chunk(((rank - g - 1) % n + n) % n)
            let action: Action
            if g < n - 2 {
                action = .reduce
            } else if g == n - 2 {
                action = operation == .average ? .reduceThenDivide(Float(n)) : .reduce
            } else {
                action = .copy
            }
            for k in 0..<s {
                plan.sends.append(Send(elements: split(sendChunk, parts: s, part: k), after: g == 0 ? 0 : (g - 1) * s + k + 1))
                plan.receives.append(Receive(elements: split(receiveChunk, parts: s, part: k), action: action))
            }
        }
        return plan
    }

    /// Pipelined chain from `root` around the ring: each rank receives segment
    /// k, then forwards it, unless the next rank is the root.
    static func broadcast(count: Int, rank: Int, worldSize n: Int, root: Int, segmentElements: Int) -> RingPlan {
        var plan = RingPlan(collective: .broadcast, aux: UInt16(truncatingIfNeeded: root), elementCount: count)
        guard n > 1 else { return plan }
        let s = segments(longest: count, segmentElements: segmentElements)
        for k in 0..<s {
            let segment = split(0..<count, parts: s, part: k)
            if rank != root { plan.receives.append(Receive(elements: segment, action: .copy)) }
            if (rank + 1) % n != root { plan.sends.append(Send(elements: segment, after: rank == root ? 0 : k + 1)) }
        }
        return plan
    }

    /// N-1 empty frames passed on around the ring, each sent only after the
    /// previous one arrived: the last arrival depends on every rank's entry.
    static func barrier(rank: Int, worldSize n: Int) -> RingPlan {
        var plan = RingPlan(collective: .barrier, elementCount: 0)
        guard n > 1 else { return plan }
        for g in 0..<(n - 1) {
            plan.sends.append(Send(elements: 0..<0, after: g))
            plan.receives.append(Receive(elements: 0..<0, action: .copy))
        }
        return plan
    }

    /// Ring all-gather over a buffer of `n * perRank` elements whose slot r
    /// already holds rank r's contribution.
    static func allGather(perRank m: Int, rank: Int, worldSize n: Int, segmentElements: Int) -> RingPlan {
        var plan = RingPlan(collective: .allGather, elementCount: m * n)
        guard n > 1 else { return plan }
        let s = segments(longest: m, segmentElements: segmentElements)
        for g in 0..<(n - 1) {
            let sendSlot = ((rank - g) % n + n) % n
            let receiveSlot = ((rank - g - 1) % n + n) % n
            for k in 0..<s {
                plan.sends.append(Send(elements: split((sendSlot * m)..<((sendSlot + 1) * m), parts: s, part: k),
                                       after: g == 0 ? 0 : (g - 1) * s + k + 1))
                plan.receives.append(Receive(elements: split((receiveSlot * m)..<((receiveSlot + 1) * m), parts: s, part: k),
                                             action: .copy))
            }
        }
        return plan
    }
}
