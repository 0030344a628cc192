import Foundation
import RingmasterTesting
import Testing

extension EndToEndFaultTests {
    /// Nothing that `ringmaster demo` or `ringmaster local up` starts
    /// outlives it: not when it is interrupted, not when it is killed.
    @Suite struct DemoCleanup {
        /// A job long enough to be killed mid-training.
        static func sample(in directory: URL, name: String) throws -> URL {
            let url = directory.appendingPathComponent("sample.yaml")
            try FaultJobs.small(name: name, epochs: 20, trainLimit: 3000).write(to: url, atomically: true, encoding: .utf8)
            return url
        }

        static func makeDirectory() throws -> URL {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("ringmaster-e2e-cleanup-\(UUID().uuidString.prefix(8))", isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return directory
        }

        /// Starts `ringmaster demo` and waits until both workers run under it.
        static func startDemo(in directory: URL) async throws -> (ChildProcess, [ProcessTree.Entry]) {
            let demo = try ChildProcess.start(
                try ExternalTools.product("ringmaster"),
                [
                    "demo", "--data-dir", directory.appendingPathComponent("data").path,
                    "--sample", try sample(in: directory, name: "cleanup").path, "--progress-interval-seconds", "0.5",
                ],
                log: directory.appendingPathComponent("demo.log"))
            let tree = try await ProcessTree.waitForWorkers(under: demo.pid, count: 2, timeout: .seconds(90)) {
                "demo output: \(demo.logTail())"
            }
            return (demo, tree)
        }

        @Test func demoKilledWithSigkillTakesItsClusterAndWorkersWithIt() async throws {
            let directory = try Self.makeDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let (demo, tree) = try await Self.startDemo(in: directory)
            // demo -> local up -> two workers, at least.
            #expect(tree.count >= 3, "\(tree)")
            demo.signal(SIGKILL)
            let left = await ProcessTree.waitUntilGone(tree, timeout: .seconds(10))
            #expect(left.isEmpty, "still running 10 s after the demo was killed: \(left)\n\(Self.clusterLog(directory))")
            // The cluster stopped because it saw the demo go (--parent-pid), and it stopped in order.
            let log = (try? String(contentsOf: directory.appendingPathComponent("data/cluster.log"), encoding: .utf8)) ?? ""
            #expect(log.contains("process \(demo.pid) has exited: stopping the local cluster and its workers"),
                    "\(Self.clusterLog(directory))")
            for entry in left { kill(entry.pid, SIGKILL) }
        }

        @Test func demoInterruptedWithCtrlCStopsItsClusterAndWorkers() async throws {
            let directory = try Self.makeDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let (demo, tree) = try await Self.startDemo(in: directory)
            #expect(tree.count >= 3, "\(tree)")
            kill(demo.pid, SIGINT)
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(30)
            while demo.isRunning && clock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
            #expect(!demo.isRunning, "the demo did not exit within 30 s of SIGINT")
            #expect(demo.logTail().contains("Interrupted: stopping the workers and the local cluster."), "\(demo.logTail())")
            // The demo returns only once its cluster has stopped.
            let left = await ProcessTree.waitUntilGone(tree, timeout: .seconds(1))
            #expect(left.isEmpty, "still running after the demo exited: \(left)\n\(Self.clusterLog(directory))")
            await demo.stop()
            for entry in left { kill(entry.pid, SIGKILL) }
        }

        @Test func localUpKilledWithSigkillTakesItsWorkersWithIt() async throws {
            let cluster = try await EndToEndCluster.start(serverArguments: ["--with-operator", "--peer-timeout-seconds", "30"])
            do {
                let server = try #require(cluster.server)
                let name = try await cluster.submit(FaultJobs.small(name: "orphans", epochs: 20, trainLimit: 3000))
                let tree = try await ProcessTree.waitForWorkers(under: server.pid, count: 2, timeout: .seconds(90)) {
                    "job: \((try? await cluster.job(name)).map(cluster.describe) ?? "?")\n\(cluster.logs())"
                }
                server.signal(SIGKILL)
                let left = await ProcessTree.waitUntilGone(tree, timeout: .seconds(5))
                #expect(left.isEmpty, "still running 5 s after local up was killed: \(left)")
                for entry in left { kill(entry.pid, SIGKILL) }
            } catch {
                Issue.record("\(error)\n\(cluster.logs())")
            }
            await cluster.shutdown()
        }

        static func clusterLog(_ directory: URL) -> String {
            let text = (try? String(contentsOf: directory.appendingPathComponent("data/cluster.log"), encoding: .utf8)) ?? ""
            return "--- cluster.log\n" + String(text.suffix(3000))
        }
    }
}

/// The process tree below a process, read from /proc.
enum ProcessTree {
    /// A process, identified by pid and start time (so that a recycled pid
    /// is not taken for it).
    struct Entry: Hashable, CustomStringConvertible {
        var pid: pid_t
        var startTime: UInt64
        var command: String
        var description: String { "\(pid) \(command)" }
    }

    /// (parent pid, start time, state) of `pid` from /proc/<pid>/stat.
    static func stat(_ pid: pid_t) -> (parent: pid_t, startTime: UInt64, state: Character)? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        // The command (field 2) is in parentheses and may hold spaces: split after the last ')'.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3), fields[1] the parent (4), fields[19] the start time (22).
        guard fields.count > 19, let state = fields[0].first, let parent = pid_t(fields[1]), let start = UInt64(fields[19])
        else { return nil }
        return (parent, start, state)
    }

    static func command(_ pid: pid_t) -> String {
        let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }

    /// Every live descendant of `root` (not `root` itself).
    static func descendants(of root: pid_t) -> [Entry] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
        var children: [pid_t: [pid_t]] = [:]
        var entries: [pid_t: Entry] = [:]
        for pid in pids {
            guard let stat = stat(pid), stat.state != "Z" else { continue }
            children[stat.parent, default: []].append(pid)
            entries[pid] = Entry(pid: pid, startTime: stat.startTime, command: command(pid))
        }
        var result: [Entry] = []
        var queue = children[root] ?? []
        while let pid = queue.popLast() {
            if let entry = entries[pid] { result.append(entry) }
            queue += children[pid] ?? []
        }
        return result
    }

    /// Whether the process of `entry` still runs (a zombie does not).
    static func isAlive(_ entry: Entry) -> Bool {
        guard let stat = stat(entry.pid) else { return false }
        return stat.startTime == entry.startTime && stat.state != "Z"
    }

    /// Waits until `count` worker processes (`ringmaster-worker`) run below
    /// `root`, then returns the whole tree below it.
    static func waitForWorkers(
        under root: pid_t, count: Int, timeout: Duration, context: () async -> String
    ) async throws -> [Entry] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            let tree = descendants(of: root)
            if tree.filter({ $0.command.contains("ringmaster-worker") }).count >= count { return tree }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw EndToEndError("no \(count) workers below process \(root) after \(timeout): \(descendants(of: root))\n\(await context())")
    }

    /// Waits up to `timeout` for every process of `entries` to end; returns those still running.
    static func waitUntilGone(_ entries: [Entry], timeout: Duration) async -> [Entry] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var left = entries.filter(isAlive)
        while !left.isEmpty && clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(100))
            left = left.filter(isAlive)
        }
        return left
    }
}
