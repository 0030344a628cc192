import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat

/// A `ringmaster-operator` child process for `ringmaster bench operator`:
/// started with its `/metrics` and `/readyz` on loopback ports, read through
/// HTTP and `/proc/<pid>/status`, and stopped with SIGTERM (SIGKILL after a
/// grace period). Its output goes to `logFile`.
final class BenchOperatorProcess: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let process: Process
    let metricsPort: Int
    let healthPort: Int
    let logFile: URL
    private let http: HTTPClient

    /// Starts `executable` with `arguments` plus the bind addresses of its endpoints.
    init(executable: URL, arguments: [String], metricsPort: Int, healthPort: Int, logFile: URL) throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw Failure(description: "no operator executable at \(executable.path); build it with `swift build -c release --product ringmaster-operator` (or pass --operator)")
        }
        self.metricsPort = metricsPort
        self.healthPort = healthPort
        self.logFile = logFile
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments + [
            "--metrics-bind-address", "127.0.0.1:\(metricsPort)", "--health-probe-bind-address", "127.0.0.1:\(healthPort)",
        ]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? log.close()
        self.process = process
        http = HTTPClient(eventLoopGroupProvider: .singleton)
    }

    var pid: Int32 { process.processIdentifier }

    /// Waits until `/readyz` answers 200 (every informer synced).
    func waitUntilReady(timeout: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            guard process.isRunning else {
                throw Failure(description: "the operator exited at start (status \(process.terminationStatus)); see \(logFile.path)")
            }
            if let (status, _) = try? await get("/readyz", port: healthPort), status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "the operator was not ready after \(timeout); see \(logFile.path)")
    }

    /// The text of `/metrics`.
    func metrics() async throws -> String {
        let (status, body) = try await get("/metrics", port: metricsPort)
        guard status == 200 else { throw Failure(description: "GET /metrics answered \(status)") }
        return body
    }

    /// A `Vm*` field of `/proc/<pid>/status` in kB (`VmHWM` is the peak resident set).
    func memoryKilobytes(_ field: String) throws -> Int {
        try ProcessMemory.kilobytes(field, pid: pid)
    }

    /// SIGTERM, then SIGKILL after `grace`; returns once the process has exited.
    func stop(grace: Duration = .seconds(10)) async {
        if process.isRunning {
            kill(pid, SIGTERM)
            let clock = ContinuousClock()
            let deadline = clock.now + grace
            while process.isRunning && clock.now < deadline {
                do { try await Task.sleep(for: .milliseconds(50)) } catch { usleep(50_000) }
            }
            if process.isRunning { kill(pid, SIGKILL) }
        }
        process.waitUntilExit()
        try? await http.shutdown()
    }

    private func get(_ path: String, port: Int) async throws -> (Int, String) {
        let response = try await http.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), String(buffer: body))
    }
}
