import Testing
@testable import Collective

/// `worldSize` TCP ranks on loopback in this process. Listeners are bound to
/// port 0 first, so the ports are known and no other process can take them.
func tcpGroup(
    worldSize: Int, tokens: [String]? = nil, worldSizes: [Int]? = nil,
    connectTimeout: Duration = .seconds(10), operationTimeout: Duration = .seconds(20), segmentElements: Int = 64 * 1024
) async -> [Result<RingCommunicator, CollectiveError>] {
    let listeners = (0..<worldSize).map { _ in try! PosixSocket.listen(host: "127.0.0.1", port: 0) }
    let peers = listeners.map { "127.0.0.1:\($0.localPort)" }
    return await withTaskGroup(of: (Int, Result<RingCommunicator, CollectiveError>).self) { group in
        for rank in 0..<worldSize {
            let configuration = RingConfiguration(
                rank: rank, worldSize: worldSizes?[rank] ?? worldSize, peers: peers, authToken: tokens?[rank] ?? "job-token",
                connectTimeout: connectTimeout, operationTimeout: operationTimeout, segmentElements: segmentElements)
            let listener = listeners[rank]
            group.addTask {
                do throws(CollectiveError) {
                    return (rank, .success(try await TCPCommunicator.connect(configuration, listener: listener)))
                } catch {
                    return (rank, .failure(error))
                }
            }
        }
        var results = [Result<RingCommunicator, CollectiveError>?](repeating: nil, count: worldSize)
        for await (rank, result) in group { results[rank] = result }
        return results.map { $0! }
    }
}

func connectedTCPGroup(worldSize: Int, operationTimeout: Duration = .seconds(20), segmentElements: Int = 64 * 1024) async throws -> [RingCommunicator] {
    try await tcpGroup(worldSize: worldSize, operationTimeout: operationTimeout, segmentElements: segmentElements).map { try $0.get() }
}

@Suite("TCPCommunicator on loopback")
struct TCPCommunicatorTests {
    @Test("all-reduce, broadcast, all-gather and barrier over TCP", arguments: 1...8)
    func collectives(worldSize: Int) async throws {
        let group = try await connectedTCPGroup(worldSize: worldSize, segmentElements: 100)
        for operation in [ReduceOperation.sum, .average] {
            for count in [0, 1, 7, 1000] {
                let inputs = await offPool { (0..<worldSize).map { randomBuffer(count: count, rank: $0, seed: UInt64(count) + 11) } }
                let outputs = try await onEveryRank(group) { communicator in
                    var buffer = inputs[communicator.rank]
                    try await communicator.allReduce(&buffer, operation: operation)
                    return buffer
                }
                let problem = await offPool { allReduceProblem(inputs: inputs, outputs: outputs, operation: operation) }
                #expect(problem == nil, "\(operation) of \(count)")
            }
        }
        let root = worldSize / 2
        let expected = randomBuffer(count: 333, rank: root, seed: 5)
        let broadcasts = try await onEveryRank(group) { communicator in
            var buffer = communicator.rank == root ? expected : [Float](repeating: 0, count: 333)
            try await communicator.broadcast(&buffer, root: root)
            try await communicator.barrier()
            return buffer
        }
        for output in broadcasts { #expect(output == expected) }
        let gathered = try await onEveryRank(group) { try await $0.allGather([Float($0.rank), 0.5]) }
        for output in gathered { #expect(output == (0..<worldSize).flatMap { [Float($0), 0.5] }) }
        for communicator in group { await communicator.shutdown() }
    }

    @Test("all-reduce of 2^20+3 elements over TCP", arguments: [2, 3])
    func large(worldSize: Int) async throws {
        let group = try await connectedTCPGroup(worldSize: worldSize)
        let count = (1 << 20) + 3
        let inputs = await offPool { (0..<worldSize).map { randomBuffer(count: count, rank: $0) } }
        let outputs = try await onEveryRank(group) { communicator in
            var buffer = inputs[communicator.rank]
            try await communicator.allReduce(&buffer, operation: .average)
            return buffer
        }
        let problem = await offPool { allReduceProblem(inputs: inputs, outputs: outputs, operation: .average) }
        #expect(problem == nil)
        for communicator in group { await communicator.shutdown() }
    }

    @Test("a peer with the wrong token is refused on both sides")
    func wrongToken() async throws {
        let results = await tcpGroup(worldSize: 2, tokens: ["job-token", "other-token"], connectTimeout: .seconds(10))
        for (rank, result) in results.enumerated() {
            guard case .failure(let error) = result else {
                Issue.record("rank \(rank) connected despite the wrong token")
                continue
            }
            #expect(error.code == .authenticationFailed, "rank \(rank): \(error)")
            #expect(error.message.contains("token"))
        }
    }

    @Test("a stranger with the wrong token is refused and the ring still forms")
    func strangerRefused() async throws {
        let listeners = (0..<2).map { _ in try! PosixSocket.listen(host: "127.0.0.1", port: 0) }
        let peers = listeners.map { "127.0.0.1:\($0.localPort)" }
        func configuration(_ rank: Int) -> RingConfiguration {
            RingConfiguration(rank: rank, worldSize: 2, peers: peers, authToken: "job-token", connectTimeout: .seconds(20))
        }
        // Rank 1 is waiting for its ring; a stranger claiming to be rank 0
        // dials it first, then the real rank 0 arrives.
        async let rank1 = TCPCommunicator.connect(configuration(1), listener: listeners[1])
        var strangerConfiguration = configuration(0)
        strangerConfiguration.authToken = "guess"
        strangerConfiguration.connectTimeout = .seconds(20)
        await #expect {
            _ = try await TCPCommunicator.connect(strangerConfiguration, listener: try PosixSocket.listen(host: "127.0.0.1", port: 0))
        } throws: { error in
            (error as? CollectiveError)?.code == .authenticationFailed
        }
        let rank0 = try await TCPCommunicator.connect(configuration(0), listener: listeners[0])
        let communicators = [rank0, try await rank1]
        let sums = try await onEveryRank(communicators) { communicator in
            var buffer: [Float] = [Float(communicator.rank + 1)]
            try await communicator.allReduce(&buffer, operation: .sum)
            return buffer
        }
        #expect(sums == [[3], [3]])
    }

    @Test("ranks that disagree on the world size are refused")
    func worldSizeMismatch() async throws {
        let listeners = (0..<2).map { _ in try! PosixSocket.listen(host: "127.0.0.1", port: 0) }
        let peers = listeners.map { "127.0.0.1:\($0.localPort)" }
        let extra = "127.0.0.1:\(try TCPCommunicator.freePorts(count: 1)[0])"
        let configurations = [
            RingConfiguration(rank: 0, worldSize: 2, peers: peers, authToken: "t", connectTimeout: .seconds(10)),
            RingConfiguration(rank: 1, worldSize: 3, peers: peers + [extra], authToken: "t", connectTimeout: .seconds(10)),
        ]
        func attempt(_ rank: Int) async -> Result<RingCommunicator, CollectiveError> {
            do throws(CollectiveError) {
                return .success(try await TCPCommunicator.connect(configurations[rank], listener: listeners[rank]))
            } catch {
                return .failure(error)
            }
        }
        async let first = attempt(0)
        async let second = attempt(1)
        for (rank, result) in await [first, second].enumerated() {
            guard case .failure(let error) = result else {
                Issue.record("rank \(rank) connected despite the world size mismatch")
                continue
            }
            #expect(error.code == .protocolViolation, "rank \(rank): \(error)")
        }
    }

    @Test("an address that cannot be bound fails with ioError once the connect timeout passes")
    func addressInUse() async throws {
        let holder = try PosixSocket.listen(host: "127.0.0.1", port: 0)
        let peers = ["127.0.0.1:\(holder.localPort)", "127.0.0.1:\(try TCPCommunicator.freePorts(count: 1)[0])"]
        let configuration = RingConfiguration(rank: 0, worldSize: 2, peers: peers, authToken: "t", connectTimeout: .milliseconds(600))
        await #expect { _ = try await TCPCommunicator.connect(configuration) } throws: { error in
            (error as? CollectiveError)?.code == .ioError
        }
    }

    @Test("bad configurations are invalid arguments")
    func invalidConfigurations() async throws {
        let bad = [
            RingConfiguration(rank: 2, worldSize: 2, peers: ["a:1", "b:2"], authToken: "t"),
            RingConfiguration(rank: 0, worldSize: 2, peers: ["a:1"], authToken: "t"),
            RingConfiguration(rank: 0, worldSize: 2, peers: ["a:1", "b:2"], authToken: ""),
            RingConfiguration(rank: 0, worldSize: 2, peers: ["a:1", "no-port"], authToken: "t"),
            RingConfiguration(rank: 0, worldSize: 2, peers: ["a:1", "b:99999"], authToken: "t"),
            RingConfiguration(rank: 0, worldSize: 0, peers: [], authToken: "t"),
        ]
        for configuration in bad {
            await #expect { _ = try await TCPCommunicator.connect(configuration) } throws: { error in
                (error as? CollectiveError)?.code == .invalidArgument
            }
        }
    }

    @Test("a peer that never starts makes connect time out")
    func connectTimeout() async throws {
        let start = ContinuousClock.now
        let peers = try TCPCommunicator.freePorts(count: 2).map { "127.0.0.1:\($0)" }
        let configuration = RingConfiguration(rank: 0, worldSize: 2, peers: peers, authToken: "t", connectTimeout: .milliseconds(500))
        await #expect { _ = try await TCPCommunicator.connect(configuration) } throws: { error in
            (error as? CollectiveError)?.code == .timeout
        }
        #expect(start.duration(to: .now) < .seconds(10))
    }

    @Test("a rank closed mid-operation makes every other rank throw", arguments: [2, 4])
    func closedMidOperation(worldSize: Int) async throws {
        let group = try await connectedTCPGroup(worldSize: worldSize, operationTimeout: .seconds(30))
        let start = ContinuousClock.now
        let outcomes = await outcomesOnEveryRank(group) { communicator in
            try await allReduceUntilFailure(communicator, elements: 300_000, shutDownAfter: communicator.rank == 1 ? .milliseconds(100) : nil)
        }
        #expect(start.duration(to: .now) < .seconds(15), "ranks waited for the timeout instead of seeing the closed ring")
        for (rank, outcome) in outcomes.enumerated() {
            guard case .failure(let error as CollectiveError) = outcome else {
                Issue.record("rank \(rank): expected a CollectiveError, got \(outcome)")
                continue
            }
            #expect(error.code == (rank == 1 ? .closed : .peerClosed), "rank \(rank): \(error)")
        }
        for communicator in group {
            var buffer: [Float] = [1]
            await #expect(throws: CollectiveError.self) { try await communicator.allReduce(&buffer, operation: .sum) }
        }
    }

    @Test("a stuck rank makes the others time out within the operation timeout")
    func stuckRank() async throws {
        let group = try await connectedTCPGroup(worldSize: 3, operationTimeout: .milliseconds(500))
        await expectStuckLastRankFailsTheOthers(group, count: 1000)
        for communicator in group { await communicator.shutdown() }
    }
}
