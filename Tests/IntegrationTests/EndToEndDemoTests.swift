import Foundation
import RingmasterTesting
import Testing

extension EndToEndFaultTests {
    /// `ringmaster demo` end to end (its own cluster with the in-process
    /// operator, `ringmaster local up --with-operator`), on a small job so
    /// that it takes seconds; the full sample is what `make demo` runs.
    @Suite struct Demo {
        @Test func demoRunsAJobToSucceededAndPrintsItsStatusAndModel() async throws {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("ringmaster-e2e-demo-\(UUID().uuidString.prefix(8))", isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let sample = directory.appendingPathComponent("sample.yaml")
            try FaultJobs.small(name: "demo-small", epochs: 2, trainLimit: 3000).write(to: sample, atomically: true, encoding: .utf8)
            let dataDirectory = directory.appendingPathComponent("data")
            // A leftover from an earlier run is removed at start.
            try FileManager.default.createDirectory(at: dataDirectory.appendingPathComponent("stale"), withIntermediateDirectories: true)

            let result = try await ProcessRunner.run(
                try ExternalTools.product("ringmaster"),
                ["demo", "--data-dir", dataDirectory.path, "--sample", sample.path, "--progress-interval-seconds", "0.5"],
                currentDirectory: ExternalTools.packageRoot, timeout: .seconds(180))
            let clusterLog = (try? String(contentsOf: dataDirectory.appendingPathComponent("cluster.log"), encoding: .utf8)) ?? ""
            #expect(result.status == 0, "\(result.combinedOutput)\n--- cluster.log\n\(clusterLog.suffix(3000))")
            let output = result.standardOutput
            #expect(output.contains("export KUBECONFIG=\(dataDirectory.path)/kubeconfig"))
            #expect(output.contains("kubectl get tj -w"))
            #expect(output.contains("phase:          Succeeded"), "\(output)")
            #expect(output.contains("test accuracy:"), "\(output)\n--- worker logs\n\(Self.workerLogs(under: dataDirectory))")
            #expect(output.contains("restarts:       0"))
            // One line per state change, not a wall of logs.
            #expect(output.split(separator: "\n").count < 40, "\(output)")
            let modelLine = try #require(output.split(separator: "\n").first { $0.contains("model:") })
            let modelPath = modelLine.split(separator: " ").last.map(String.init) ?? ""
            #expect(modelPath.hasSuffix("model.safetensors"))
            #expect(FileManager.default.fileExists(atPath: modelPath), "\(modelLine)")
            #expect(!FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("stale").path))
            // The cluster and its workers (whose KUBECONFIG is under the data directory) are gone.
            #expect(Self.processesMentioning(dataDirectory.path).isEmpty)
        }

        @Test func demoExitsNonZeroWithTheFailureWhenTheJobFails() async throws {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("ringmaster-e2e-demo-\(UUID().uuidString.prefix(8))", isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let sample = directory.appendingPathComponent("sample.yaml")
            let missing = "/nonexistent/ringmaster-e2e-demo-data"
            try FaultJobs.small(name: "demo-fails", datasetYAML: """
                    source: path
                    path: \(missing)
                    format: idx
                """).write(to: sample, atomically: true, encoding: .utf8)
            let result = try await ProcessRunner.run(
                try ExternalTools.product("ringmaster"),
                ["demo", "--data-dir", directory.appendingPathComponent("data").path, "--sample", sample.path],
                currentDirectory: ExternalTools.packageRoot, timeout: .seconds(120))
            #expect(result.status == 1, "\(result.combinedOutput)")
            #expect(result.standardOutput.contains("phase:          Failed"), "\(result.standardOutput)")
            #expect(result.standardError.contains(missing), "\(result.standardError)")
        }

        /// The last lines of every container log the demo's cluster kept, for a failure's message.
        static func workerLogs(under dataDirectory: URL) -> String {
            let pods = dataDirectory.appendingPathComponent("pods")
            guard let walker = FileManager.default.enumerator(at: pods, includingPropertiesForKeys: nil) else { return "" }
            return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "log" }
                .sorted { $0.path < $1.path }
                .map { file in
                    let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
                    return "--- \(file.path)\n" + text.split(separator: "\n").suffix(30).joined(separator: "\n")
                }
                .joined(separator: "\n")
        }

        /// Live processes whose command line or environment contains `text`.
        static func processesMentioning(_ text: String) -> [String] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return entries.filter { Int($0) != nil && Int32($0) != getpid() }.filter { pid in
                ["cmdline", "environ"].contains { file in
                    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/\(file)") else { return false }
                    return String(decoding: data, as: UTF8.self).contains(text)
                }
            }
        }
    }
}
