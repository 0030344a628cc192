import Foundation

/// A long-running child process of a test (a server, an operator), its
/// stdout and stderr appended to a log file. Unlike `ProcessRunner.run` it
/// is not waited for: the test signals it and stops it when done.
final class ChildProcess: @unchecked Sendable {
    let process: Process
    let logURL: URL

    private init(process: Process, logURL: URL) {
        self.process = process
        self.logURL = logURL
    }

    static func start(_ executable: String, _ arguments: [String], log: URL) throws -> ChildProcess {
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? handle.close()
        return ChildProcess(process: process, logURL: log)
    }

    var pid: pid_t { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Sends `signal` (e.g. SIGKILL) and, for SIGKILL, waits until it is gone.
    func signal(_ signal: Int32) {
        kill(pid, signal)
        if signal == SIGKILL { process.waitUntilExit() }
    }

    /// SIGTERM, then SIGKILL after `grace`; returns once it has exited.
    func stop(grace: Duration = .seconds(15)) async {
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        let clock = ContinuousClock()
        let deadline = clock.now + grace
        while process.isRunning && clock.now < deadline {
            // Even when cancelled, wait for the process rather than spin.
            do { try await Task.sleep(for: .milliseconds(100)) } catch { usleep(100_000) }
        }
        if process.isRunning { signal(SIGKILL) }
    }

    /// The last 3,000 characters of the log.
    func logTail() -> String {
        let text = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
        return String(text.suffix(3000))
    }
}
