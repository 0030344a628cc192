import Synchronization
import Testing
@testable import Collective

@Suite("LocalCommunicator")
struct LocalCommunicatorTests {
    static let smallCounts = [0, 1, 7, 1000]

    @Test("all-reduce sums and averages exactly once per rank, bitwise identical everywhere",
          arguments: 1...8, [ReduceOperation.sum, .average])
    func allReduceSmall(worldSize: Int, operation: ReduceOperation) async throws {
        let group = LocalCommunicator.group(worldSize: worldSize, timeout: .seconds(20))
        for count in Self.smallCounts {
            let inputs = await offPool { (0..<worldSize).map { randomBuffer(count: count, rank: $0, seed: UInt64(count)) } }
            let outputs = try await onEveryRank(group) { communicator in
                var buffer = inputs[communicator.rank]
                try await communicator.allReduce(&buffer, operation: operation)
                return buffer
            }
            let problem = await offPool { allReduceProblem(inputs: inputs, outputs: outputs, operation: operation) }
            #expect(problem == nil, "count \(count)")
        }
        for communicator in group { await communicator.shutdown() }
    }

    @Test("all-reduce of 2^20+3 elements", arguments: [1, 3, 4])
    func allReduceLarge(worldSize: Int) async throws {
        let group = LocalCommunicator.group(worldSize: worldSize, timeout: .seconds(30))
        let count = (1 << 20) + 3
        let inputs = await offPool { (0..<worldSize).map { randomBuffer(count: count, rank: $0) } }
        let outputs = try await onEveryRank(group) { communicator in
            var buffer = inputs[communicator.rank]
            try await communicator.allReduce(&buffer, operation: .sum)
            return buffer
        }
        let problem = await offPool { allReduceProblem(inputs: inputs, outputs: outputs, operation: .sum) }
        #expect(problem == nil)
    }

    @Test("small links and segments force partial reads and writes", arguments: [2, 5])
    func partialTransfers(worldSize: Int) async throws {
        let group = LocalCommunicator.group(worldSize: worldSize, timeout: .seconds(20), linkCapacity: 61, segmentElements: 17)
        let count = 1013
        let inputs = await offPool { (0..<worldSize).map { randomBuffer(count: count, rank: $0) } }
        let outputs = try await onEveryRank(group) { communicator in
            var buffer = inputs[communicator.rank]
            try await communicator.allReduce(&buffer, operation: .average)
            return buffer
        }
        let problem = await offPool { allReduceProblem(inputs: inputs, outputs: outputs, operation: .average) }
        #expect(problem == nil)
    }

    @Test("broadcast gives every rank the root's buffer", arguments: [1, 2, 3, 8])
    func broadcast(worldSize: Int) async throws {
        let group = LocalCommunicator.group(worldSize: worldSize, timeout: .seconds(20), linkCapacity: 4096, segmentElements: 100)
        for root in Set([0, worldSize - 1, worldSize / 2]) {
            for count in Self.smallCounts {
                let expected = randomBuffer(count: count, rank: root, seed: 7)
                let outputs = try await onEveryRank(group) { communicator in
                    var buffer = communicator.rank == root ? expected : randomBuffer(count: count, rank: communicator.rank, seed: 9)
                    try await communicator.broadcast(&buffer, root: root)
                    return buffer
                }
                for (rank, output) in outputs.enumerated() {
                    #expect(output == expected, "rank \(rank), root \(root), count \(count)")
                }
            }
        }
    }

    @Test("all-gather concatenates contributions in rank order", arguments: [1, 2, 5])
    func allGather(worldSize: Int) async throws {
        let group = LocalCommunicator.group(worldSize: worldSize, timeout: .seconds(20), linkCapacity: 333, segmentElements: 10)
        for count in [0, 1, 7, 100] {
            let outputs = try await onEveryRank(group) { communicator in
                try await communicator.allGather(randomBuffer(count: count, rank: communicator.rank, seed: 3))
            }
            let expected = (0..<worldSize).flatMap { randomBuffer(count: count, rank: $0, seed: 3) }
            for output in outputs { #expect(output == expected) }
        }
    }

    @Test("no rank leaves the barrier before the last one enters", arguments: [2, 3, 8])
    func barrier(worldSize: Int) async throws {
        let group = LocalCommunicator.group(worldSize: worldSize, timeout: .seconds(20))
        let entered = Counter()
        let seenOnExit = try await onEveryRank(group) { communicator in
            if communicator.rank == worldSize - 1 { try await Task.sleep(for: .milliseconds(200)) }
            entered.increment()
            try await communicator.barrier()
            return entered.value
        }
        for value in seenOnExit { #expect(value == worldSize) }
    }

    @Test("a rank that never joins makes the others time out; the communicator stays unusable")
    func stuckPeerTimesOut() async throws {
        let group = LocalCommunicator.group(worldSize: 3, timeout: .milliseconds(300))
        await expectStuckLastRankFailsTheOthers(group, count: 100)
        await #expect(throws: CollectiveError.self) { try await group[0].barrier() }
    }

    @Test("a rank shut down mid-operation makes every other rank throw", arguments: [2, 4])
    func shutdownMidOperation(worldSize: Int) async throws {
        let group = LocalCommunicator.group(worldSize: worldSize, timeout: .seconds(30), linkCapacity: 256, segmentElements: 32)
        let start = ContinuousClock.now
        let outcomes = await outcomesOnEveryRank(group) { communicator in
            try await allReduceUntilFailure(communicator, elements: 20_000, shutDownAfter: communicator.rank == worldSize - 1 ? .milliseconds(100) : nil)
        }
        #expect(start.duration(to: .now) < .seconds(15), "ranks waited for the timeout instead of seeing the closed ring")
        for rank in 0..<(worldSize - 1) {
            guard case .failure(let error as CollectiveError) = outcomes[rank] else {
                Issue.record("rank \(rank): expected a CollectiveError, got \(outcomes[rank])")
                continue
            }
            #expect(error.code == .peerClosed, "rank \(rank): \(error)")
        }
    }

    @Test("mismatched buffer lengths are a protocol violation, not a wrong answer")
    func mismatchedLengths() async throws {
        let group = LocalCommunicator.group(worldSize: 2, timeout: .seconds(5))
        let outcomes = await outcomesOnEveryRank(group) { communicator in
            var buffer = [Float](repeating: 1, count: communicator.rank == 0 ? 10 : 11)
            try await communicator.allReduce(&buffer, operation: .sum)
        }
        for outcome in outcomes {
            guard case .failure(let error as CollectiveError) = outcome else {
                Issue.record("expected a CollectiveError, got \(outcome)")
                continue
            }
            #expect([.protocolViolation, .peerClosed].contains(error.code))
        }
    }

    @Test("broadcast from a root outside the world is an invalid argument")
    func badRoot() async throws {
        let group = LocalCommunicator.group(worldSize: 2)
        var buffer: [Float] = [1]
        await #expect(throws: CollectiveError(.invalidArgument, "broadcast root 2 is not a rank of a world of 2")) {
            try await group[0].broadcast(&buffer, root: 2)
        }
    }
}

/// A counter shared by concurrent tasks.
final class Counter: Sendable {
    private let storage = Mutex(0)
    func increment() { storage.withLock { $0 += 1 } }
    var value: Int { storage.withLock { $0 } }
}
