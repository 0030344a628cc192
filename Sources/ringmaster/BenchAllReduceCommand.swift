import ArgumentParser
import Collective
import Foundation

/// `ringmaster bench allreduce`: the ring all-reduce over loopback TCP, one
/// process per rank, printed in the TSV columns of the peer baselines
/// (`bench/peers`: name ranks bytes median_s algbw_GBps busbw_GBps iters
/// min_s max_s busbw_at_max_s busbw_at_min_s check).
struct BenchAllReduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Time the TCP ring all-reduce between local rank processes.",
        subcommands: [Run.self, Rank.self],
        defaultSubcommand: Run.self
    )

    /// The environment variable that carries the job token to rank processes
    /// (never on the command line, where `ps` would show it).
    static let tokenVariable = "RINGMASTER_BENCH_TOKEN"

    /// Options shared by the launcher and the rank processes.
    struct Measurement: ParsableArguments {
        @Option(name: .long, parsing: .upToNextOption, help: "Message sizes in bytes, comma or space separated.")
        var bytes: [String] = ["4096,65536,1048576,16777216,67108864"]

        @Option(name: .long, help: "Timed iterations per size (default: chosen from the warm-up and --target-seconds).")
        var iters: Int?

        @Option(name: .long, help: "Warm-up iterations per size.")
        var warmup: Int = 3

        @Option(name: .customLong("target-seconds"), help: "Timed seconds per size when --iters is not given.")
        var targetSeconds: Double = 1.5

        @Option(name: .customLong("min-iters")) var minIters: Int = 10
        @Option(name: .customLong("max-iters")) var maxIters: Int = 500

        @Option(name: .long, help: "The name column (starts with the engine name the summary looks for).")
        var name: String = "ringmaster-ring/tcp"

        @Option(name: .customLong("segment-elements"), help: "Floats per frame.")
        var segmentElements: Int = 64 * 1024

        @Option(name: .customLong("timeout-seconds"), help: "Connect and per-operation timeout.")
        var timeoutSeconds: Double = 60

        func sizes() throws -> [Int] {
            try Self.integers(bytes, "--bytes").map { $0 / MemoryLayout<Float>.size * MemoryLayout<Float>.size }
        }

        static func integers(_ values: [String], _ option: String) throws -> [Int] {
            let parts = values.flatMap { $0.split(whereSeparator: { $0 == "," || $0 == " " }) }
            return try parts.map { part in
                guard let value = Int(part), value >= 0 else {
                    throw ValidationError("\(option): \"\(part)\" is not a non-negative integer")
                }
                return value
            }
        }
    }

    /// Spawns the rank processes and lets rank 0 print the rows.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the benchmark (default).")

        @Option(name: .long, parsing: .upToNextOption, help: "Rank counts, comma or space separated.")
        var ranks: [String] = ["2"]

        @OptionGroup var measurement: Measurement

        func run() async throws {
            let rankCounts = try Measurement.integers(ranks, "--ranks")
            guard rankCounts.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--ranks must be at least 1") }
            _ = try measurement.sizes()
            let executable = try Self.ownExecutable()
            for n in rankCounts {
                let ports = try TCPCommunicator.freePorts(count: n)
                let peers = ports.map { "127.0.0.1:\($0)" }.joined(separator: ",")
                var environment = ProcessInfo.processInfo.environment
                environment[BenchAllReduceCommand.tokenVariable] = Self.randomToken()
                var processes: [Process] = []
                for rank in 0..<n {
                    let process = Process()
                    process.executableURL = executable
                    process.arguments = ["bench", "allreduce", "rank", "--rank", "\(rank)", "--peers", peers,
                                         "--bytes", measurement.bytes.joined(separator: ","),
                                         "--warmup", "\(measurement.warmup)", "--target-seconds", "\(measurement.targetSeconds)",
                                         "--min-iters", "\(measurement.minIters)", "--max-iters", "\(measurement.maxIters)",
                                         "--name", measurement.name, "--segment-elements", "\(measurement.segmentElements)",
                                         "--timeout-seconds", "\(measurement.timeoutSeconds)"]
                        + (measurement.iters.map { ["--iters", "\($0)"] } ?? [])
                    process.environment = environment
                    try process.run()
                    processes.append(process)
                }
                var failed: [String] = []
                for (rank, process) in processes.enumerated() {
                    process.waitUntilExit()
                    if process.terminationStatus != 0 { failed.append("rank \(rank) exited with \(process.terminationStatus)") }
                }
                if !failed.isEmpty {
                    throw ValidationError("all-reduce benchmark with \(n) ranks failed: \(failed.joined(separator: "; "))")
                }
            }
        }

        static func ownExecutable() throws -> URL {
            let path = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            return URL(fileURLWithPath: path)
        }

        static func randomToken() -> String {
            var generator = SystemRandomNumberGenerator()
            return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        }
    }

    /// One rank process (started by `run`, or by tests).
    struct Rank: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rank", abstract: "One rank of the benchmark (internal).", shouldDisplay: false)

        @Option(name: .long) var rank: Int
        @Option(name: .long, help: "host:port of every rank, comma separated, in rank order.") var peers: String
        @Option(name: .customLong("soak-elements"),
                help: "Instead of timing: all-reduce a buffer of this many elements until an operation fails (exit 3).")
        var soakElements: Int?
        @OptionGroup var measurement: Measurement

        func run() async throws {
            guard let token = ProcessInfo.processInfo.environment[BenchAllReduceCommand.tokenVariable] else {
                throw ValidationError("\(BenchAllReduceCommand.tokenVariable) is not set")
            }
            let peerList = peers.split(separator: ",").map(String.init)
            let timeout = Duration.milliseconds(Int64(measurement.timeoutSeconds * 1000))
            let communicator = try await TCPCommunicator.connect(RingConfiguration(
                rank: rank, worldSize: peerList.count, peers: peerList, authToken: token,
                connectTimeout: timeout, operationTimeout: timeout, segmentElements: measurement.segmentElements))
            if let soakElements {
                var buffer = [Float](repeating: 1, count: soakElements)
                do {
                    while true { try await communicator.allReduce(&buffer, operation: .average) }
                } catch {
                    FileHandle.standardError.write(Data("rank \(rank): \(error)\n".utf8))
                    throw ExitCode(3)
                }
            }
            for bytes in try measurement.sizes() {
                let row = try await measure(bytes: bytes, communicator: communicator)
                if rank == 0 {
                    FileHandle.standardOutput.write(Data((row + "\n").utf8))
                }
            }
            await communicator.shutdown()
        }

        /// The method of bench/peers/allreduce_mpi.c, in place like gloo's: the
        /// buffer is refilled (untimed) before every iteration.
        func measure(bytes: Int, communicator: RingCommunicator) async throws -> String {
            let n = communicator.worldSize
            let count = bytes / MemoryLayout<Float>.size
            let pristine = (0..<count).map { Float(communicator.rank + 1) + Float($0 % 7) }
            var buffer = pristine

            try await communicator.barrier()
            let clock = ContinuousClock()
            let warmup = max(1, measurement.warmup)
            var warmTime = Duration.zero
            for _ in 0..<warmup {
                _ = buffer.withUnsafeMutableBufferPointer { target in
                    pristine.withUnsafeBufferPointer { source in target.update(fromContentsOf: source) }
                }
                warmTime += try await clock.measure { try await communicator.allReduce(&buffer, operation: .sum) }
            }
            let slowestWarm = try await communicator.allGather([Float(seconds(warmTime) / Double(warmup))]).max()!
            var iterations = measurement.iters
                ?? (slowestWarm > 0 ? Int(measurement.targetSeconds / Double(slowestWarm)) : measurement.maxIters)
            if measurement.iters == nil {
                iterations = min(max(iterations, measurement.minIters), max(measurement.minIters, measurement.maxIters))
            }
            iterations = max(1, iterations)

            var times = [Float](repeating: 0, count: iterations)
            for i in 0..<iterations {
                _ = buffer.withUnsafeMutableBufferPointer { target in
                    pristine.withUnsafeBufferPointer { source in target.update(fromContentsOf: source) }
                }
                try await communicator.barrier()
                let t0 = clock.now
                try await communicator.allReduce(&buffer, operation: .sum)
                times[i] = Float(seconds(t0.duration(to: clock.now)))
            }
            let everyRank = try await communicator.allGather(times)
            var slowest = (0..<iterations).map { i in (0..<n).map { Double(everyRank[$0 * iterations + i]) }.max()! }

            buffer = pristine
            try await communicator.allReduce(&buffer, operation: .sum)
            let base = Float(n) * Float(n + 1) / 2
            let ok = buffer.indices.allSatisfy { buffer[$0] == base + Float(n) * Float($0 % 7) }
            let allOK = try await communicator.allGather([ok ? 1 : 0]).allSatisfy { $0 == 1 }

            slowest.sort()
            let median = iterations % 2 == 1 ? slowest[iterations / 2] : (slowest[iterations / 2 - 1] + slowest[iterations / 2]) / 2
            let factor = 2.0 * Double(n - 1) / Double(n)
            let algbw = Double(bytes) / median / 1e9
            let fastest = slowest.first!, slowestTime = slowest.last!
            return String(format: "%@\t%d\t%d\t%.9f\t%.4f\t%.4f\t%d\t%.9f\t%.9f\t%.4f\t%.4f\t%@",
                          measurement.name, n, bytes, median, algbw, algbw * factor, iterations, fastest, slowestTime,
                          Double(bytes) / slowestTime / 1e9 * factor, Double(bytes) / fastest / 1e9 * factor,
                          allOK ? "ok" : "FAIL")
        }

        func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        }
    }
}
