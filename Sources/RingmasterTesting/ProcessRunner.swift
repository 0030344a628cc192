import Foundation

/// The result of running a command to completion.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String

    /// Both streams, for failure messages.
    public var combinedOutput: String { standardOutput + standardError }
}

/// Runs external commands for tests.
public enum ProcessRunner {
    /// Runs `executable` with `arguments` to completion and returns its output.
    ///
    /// Output is collected concurrently so a chatty command cannot block on a
    /// full pipe. `timeout` kills the command (SIGKILL) when it runs too long;
    /// the result then has status -9.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        standardInput: String? = nil,
        currentDirectory: URL? = nil,
        timeout: Duration = .seconds(120)
    ) async throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        // Never block a cooperative thread on the child: its exit resumes us.
        let exited = AsyncStream<Void> { continuation in
            process.terminationHandler = { _ in
                continuation.yield()
                continuation.finish()
            }
        }
        try process.run()
        if let standardInput {
            stdin.fileHandleForWriting.write(Data(standardInput.utf8))
        }
        try? stdin.fileHandleForWriting.close()

        async let outData = readAll(stdout.fileHandleForReading)
        async let errData = readAll(stderr.fileHandleForReading)
        let pid = process.processIdentifier
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            kill(pid, SIGKILL)
        }
        let out = await outData
        let err = await errData
        for await _ in exited {}
        watchdog.cancel()
        let status = process.terminationReason == .uncaughtSignal ? -process.terminationStatus : process.terminationStatus
        return ProcessResult(
            status: status,
            standardOutput: String(decoding: out, as: UTF8.self),
            standardError: String(decoding: err, as: UTF8.self))
    }

    private static func readAll(_ handle: FileHandle) async -> Data {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: handle.readDataToEndOfFile())
            }
        }
    }
}
