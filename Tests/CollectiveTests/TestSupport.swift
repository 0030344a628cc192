import Foundation
import Testing
@testable import Collective
import Training

/// Runs CPU-heavy test work (generating and checking megabytes of floats in a
/// debug build) on a thread of its own, so it does not starve the cooperative
/// pool that the concurrently running tests need for their deadlines.
func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}

/// `count` floats in [-1, 1) for `rank`, the same on every run.
func randomBuffer(count: Int, rank: Int, seed: UInt64 = 42) -> [Float] {
    var generator = SplitMix64(seed: seed &* 1_000_003 &+ UInt64(rank))
    return (0..<count).map { _ in Float.random(in: -1..<1, using: &generator) }
}

/// Runs `body` for every communicator concurrently and returns the results in
/// rank order.
func onEveryRank<C: Communicator, T: Sendable>(
    _ communicators: [C], _ body: @escaping @Sendable (C) async throws -> T
) async throws -> [T] {
    try await withThrowingTaskGroup(of: (Int, T).self) { group in
        for communicator in communicators {
            group.addTask { (communicator.rank, try await body(communicator)) }
        }
        var results = [T?](repeating: nil, count: communicators.count)
        for try await (rank, value) in group { results[rank] = value }
        return results.map { $0! }
    }
}

/// Runs `body` on every rank and returns each rank's outcome, errors included.
func outcomesOnEveryRank<C: Communicator>(
    _ communicators: [C], _ body: @escaping @Sendable (C) async throws -> Void
) async -> [Result<Void, any Error>] {
    await withTaskGroup(of: (Int, Result<Void, any Error>).self) { group in
        for communicator in communicators {
            group.addTask {
                do {
                    try await body(communicator)
                    return (communicator.rank, .success(()))
                } catch {
                    return (communicator.rank, .failure(error))
                }
            }
        }
        var results = [Result<Void, any Error>?](repeating: nil, count: communicators.count)
        for await (rank, outcome) in group { results[rank] = outcome }
        return results.map { $0! }
    }
}

/// Checks an all-reduce result against the float64 reduction of the inputs and
/// that every rank holds the same bits. Returns a description of the first
/// problem, nil when all is well.
func allReduceProblem(inputs: [[Float]], outputs: [[Float]], operation: ReduceOperation) -> String? {
    let n = inputs.count
    guard let first = outputs.first else { return "no outputs" }
    for (rank, output) in outputs.enumerated() {
        guard output.count == first.count else { return "rank \(rank) has \(output.count) elements, rank 0 \(first.count)" }
        for i in output.indices where output[i].bitPattern != first[i].bitPattern {
            return "rank \(rank) element \(i) is \(output[i]), rank 0 has \(first[i])"
        }
    }
    guard first.count == inputs[0].count else { return "length changed from \(inputs[0].count) to \(first.count)" }
    for i in first.indices {
        var exact = 0.0
        for rank in 0..<n { exact += Double(inputs[rank][i]) }
        if operation == .average { exact /= Double(n) }
        let tolerance = 1e-5 * Double(n) + 1e-6 * abs(exact)
        if abs(Double(first[i]) - exact) > tolerance {
            return "element \(i) is \(first[i]), expected \(exact)"
        }
    }
    return nil
}

/// All-reduces repeatedly until an operation throws (bounded, so a missing
/// failure ends the test instead of hanging it). With `shutDownAfter`, the
/// communicator is shut down that long after the loop starts, while an
/// all-reduce is in flight.
func allReduceUntilFailure<C: Communicator>(_ communicator: C, elements: Int, shutDownAfter: Duration?) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            var buffer = [Float](repeating: 1, count: elements)
            for _ in 0..<100_000 { try await communicator.allReduce(&buffer, operation: .average) }
        }
        if let shutDownAfter {
            try await Task.sleep(for: shutDownAfter)
            await communicator.shutdown()
        }
        try await group.waitForAll()
    }
}

/// Runs an all-reduce of `count` elements on every rank of `group` but the
/// last, which never joins, and expects each to fail with `timeout` or
/// `peerClosed` well before `limit`.
func expectStuckLastRankFailsTheOthers(_ group: [RingCommunicator], count: Int, limit: Duration = .seconds(10)) async {
    let start = ContinuousClock.now
    let outcomes = await outcomesOnEveryRank(Array(group.dropLast())) { communicator in
        var buffer = [Float](repeating: 1, count: count)
        try await communicator.allReduce(&buffer, operation: .sum)
    }
    #expect(start.duration(to: .now) < limit)
    for outcome in outcomes {
        guard case .failure(let error as CollectiveError) = outcome else {
            Issue.record("expected a CollectiveError, got \(outcome)")
            continue
        }
        #expect([.timeout, .peerClosed].contains(error.code), "\(error)")
    }
}
