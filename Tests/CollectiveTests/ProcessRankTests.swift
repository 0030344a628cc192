import Foundation
import Testing
@testable import Collective

/// Ranks in separate OS processes: the built `ringmaster` executable, which
/// sits next to the test bundle in the build products directory.
@Suite("Ranks in separate processes")
struct ProcessRankTests {
    static func ringmasterExecutable() throws -> URL {
        let testBinary = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        let candidate = testBinary.deletingLastPathComponent().appendingPathComponent("ringmaster")
        guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
            throw CollectiveError(.invalidArgument, "no ringmaster executable at \(candidate.path): build the package first")
        }
        return candidate
    }

    /// Runs `ringmaster` to completion and returns (status, stdout, stderr).
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = try ringmasterExecutable()
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        async let out = Task.detached { output.fileHandleForReading.readDataToEndOfFile() }.value
        async let err = Task.detached { errors.fileHandleForReading.readDataToEndOfFile() }.value
        let (outData, errData) = await (out, err)
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    @Test("the benchmark runs 2 and 3 rank processes and verifies every element")
    func benchmarkProcesses() async throws {
        let sizes = [0, 28, 4_194_316]
        let (status, output, errors) = try await Self.run(
            ["bench", "allreduce", "--ranks", "2,3", "--bytes", sizes.map(String.init).joined(separator: ","),
             "--iters", "2", "--warmup", "1", "--timeout-seconds", "30"])
        #expect(status == 0, "stderr: \(errors)")
        let rows = output.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        #expect(rows.count == 2 * sizes.count, "output: \(output)")
        var index = 0
        for ranks in [2, 3] {
            for bytes in sizes where index < rows.count {
                let row = rows[index]
                index += 1
                #expect(row.count == 12, "row: \(row)")
                guard row.count == 12 else { continue }
                #expect(row[0] == "ringmaster-ring/tcp")
                #expect(Int(row[1]) == ranks)
                #expect(Int(row[2]) == bytes)
                #expect(Int(row[6]) == 2)
                for column in [3, 4, 5, 7, 8, 9, 10] { #expect(Double(row[column]) != nil, "column \(column) of \(row)") }
                #expect(Double(row[3])! > 0)
                #expect(row[11] == "ok", "verification failed: \(row)")
            }
        }
    }

    @Test("a rank process killed mid-operation makes the other ranks throw")
    func killedProcess() async throws {
        let listeners = (0..<2).map { _ in try! PosixSocket.listen(host: "127.0.0.1", port: 0) }
        let childPort = try TCPCommunicator.freePorts(count: 1)[0]
        let peers = listeners.map { "127.0.0.1:\($0.localPort)" } + ["127.0.0.1:\(childPort)"]
        let token = "process-test-token"
        let elements = 100_000

        let child = Process()
        child.executableURL = try Self.ringmasterExecutable()
        child.arguments = ["bench", "allreduce", "rank", "--rank", "2", "--peers", peers.joined(separator: ","),
                           "--soak-elements", "\(elements)", "--timeout-seconds", "30"]
        child.environment = ProcessInfo.processInfo.environment.merging(["RINGMASTER_BENCH_TOKEN": token]) { $1 }
        child.standardError = FileHandle.nullDevice
        try child.run()
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }

        let communicators = try await withThrowingTaskGroup(of: RingCommunicator.self) { group in
            for rank in 0..<2 {
                let configuration = RingConfiguration(rank: rank, worldSize: 3, peers: peers, authToken: token,
                                                      connectTimeout: .seconds(30), operationTimeout: .seconds(30))
                let listener = listeners[rank]
                group.addTask { try await TCPCommunicator.connect(configuration, listener: listener) }
            }
            return try await group.reduce(into: []) { $0.append($1) }.sorted { $0.rank < $1.rank }
        }
        // The ring works across processes before the kill.
        let sums = try await onEveryRank(communicators) { communicator in
            var buffer = [Float](repeating: 1, count: elements)
            try await communicator.allReduce(&buffer, operation: .average)
            return buffer
        }
        for sum in sums { #expect(sum == [Float](repeating: 1, count: elements)) }

        let start = ContinuousClock.now
        let outcomes = await withTaskGroup(of: (Int, Result<Void, any Error>).self) { group in
            for communicator in communicators {
                group.addTask {
                    do {
                        try await allReduceUntilFailure(communicator, elements: elements, shutDownAfter: nil)
                        return (communicator.rank, .success(()))
                    } catch {
                        return (communicator.rank, .failure(error))
                    }
                }
            }
            try? await Task.sleep(for: .milliseconds(300))
            kill(child.processIdentifier, SIGKILL)
            return await group.reduce(into: [Int: Result<Void, any Error>]()) { $0[$1.0] = $1.1 }
        }
        #expect(start.duration(to: .now) < .seconds(20), "ranks waited for the 30 s timeout instead of seeing the dead peer")
        for rank in 0..<2 {
            guard case .failure(let error as CollectiveError) = outcomes[rank] else {
                Issue.record("rank \(rank): expected a CollectiveError, got \(String(describing: outcomes[rank]))")
                continue
            }
            #expect(error.code == .peerClosed, "rank \(rank): \(error)")
        }
    }
}
