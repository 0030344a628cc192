import Foundation
import Synchronization
import Testing
@testable import LocalCluster

/// How container processes are started: through `setpriv --pdeathsig` on
/// the one spawning thread (that a container dies with the agent, even by
/// SIGKILL, is tested end to end in the integration tests).
@Suite("Node agent: spawning container processes")
struct LocalProcessSpawningTests {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("local-process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Whether `pid` is a live (not zombie) process.
    func isAlive(_ pid: pid_t) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return false }
        let text = String(decoding: data, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return false }
        return text[text.index(after: close)...].split(separator: " ").first != "Z"
    }

    @Test func thisSystemHasSetpriv() {
        // The local cluster's workers die with it only where setpriv exists (util-linux, Linux).
        #expect(ParentDeathSignal.setpriv != nil)
    }

    @Test func aProcessOutlivesTheThreadThatAskedForIt() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("c.log")
        // Started from a thread that exits at once: the parent-death signal
        // follows the thread that started the child, so a container started
        // on such a thread would be killed with it. It must not be.
        final class Outcome: Sendable {
            let value = Mutex<Result<LocalProcess, NodeAgentError>?>(nil)
        }
        let started = Outcome()
        let thread = Thread {
            let result = Result { () throws(NodeAgentError) -> LocalProcess in
                try LocalProcess.spawn(
                    arguments: ["/bin/sh", "-c", "echo ready; exec sleep 30"], environment: ["PATH": "/usr/bin:/bin"],
                    workingDirectory: nil, logFile: log)
            }
            started.value.withLock { $0 = result }
        }
        thread.start()
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while started.value.withLock({ $0 == nil }) && clock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let process = try #require(try started.value.withLock { $0 }?.get())
        while !thread.isFinished && clock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(thread.isFinished)
        try await Task.sleep(for: .milliseconds(500))
        #expect(isAlive(process.pid))
        #expect(process.exit == nil)
        process.terminate(gracePeriod: .zero)
        #expect(await process.waitForExit() == LocalProcess.Exit(code: 137, signal: SIGKILL))
    }

    @Test func aRelativeExecutableIsAPathInTheWorkingDirectoryNotAPathSearch() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("c.log")
        let found = try LocalProcess.spawn(
            arguments: ["sh", "-c", "exit 4"], environment: ["PATH": "/nonexistent"], workingDirectory: "/bin", logFile: log)
        #expect(await found.waitForExit() == LocalProcess.Exit(code: 4, signal: nil))
        // `sleep` is on PATH but not in the working directory.
        #expect(throws: NodeAgentError.self) {
            try LocalProcess.spawn(
                arguments: ["sleep", "1"], environment: ["PATH": "/usr/bin:/bin"], workingDirectory: directory.path, logFile: log)
        }
    }
}
