import Foundation
import KubeClient
@testable import LocalCluster
import RingmasterTesting
import Testing

/// `ringmaster bench operator` end to end (the real operator executable as a
/// child process), and the server-side shortcuts the benchmark led to.
@Suite struct BenchOperatorCommandTests {
    @Test func benchmarkReportsRatioLatencyAndOperatorMemory() async throws {
        // Needs both executables side by side, as `swift build` leaves them.
        _ = try ExternalTools.product("ringmaster-operator")
        let result = try await ProcessRunner.run(
            try ExternalTools.product("ringmaster"),
            ["bench", "operator", "--jobs", "6", "--workers", "2", "--concurrency", "2", "--timeout-seconds", "90"],
            timeout: .seconds(150))
        #expect(result.status == 0, "\(result.combinedOutput)")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("jobs=6 workers=2 concurrency=2 pods=12 objects=48") == true, "\(lines)")
        let ratio = lines.first { $0.hasPrefix("ratio ") }?.split(separator: " ").last.flatMap { Double($0) }
        #expect((ratio ?? 0) > 0, "\(lines)")
        let reconcileLine = try #require(lines.first { $0.hasPrefix("reconciles=") })
        let fields = Dictionary(uniqueKeysWithValues: reconcileLine.split(separator: " ").compactMap { field -> (String, String)? in
            let parts = field.split(separator: "=", maxSplits: 1)
            return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
        })
        // At least one reconcile per job; quantiles come from the operator's histogram.
        #expect((Int(fields["reconciles"] ?? "") ?? 0) >= 6, "\(reconcileLine)")
        let p50 = Double(fields["p50"] ?? "")
        let p99 = Double(fields["p99"] ?? "")
        #expect(p50 != nil && p99 != nil && p50! > 0 && p50! <= p99!, "\(reconcileLine)")
        let rssLine = try #require(lines.first { $0.hasPrefix("operator peak RSS") })
        let peak = rssLine.split(separator: ":").dropFirst().first?.split(separator: " ").first.flatMap { Int($0) }
        #expect((peak ?? 0) > 1, "\(rssLine)")
        // The per-job series of every job (each Pending: 6 phase series, restarts, workers ready and desired, epochs).
        let scrapeLine = try #require(lines.first { $0.hasPrefix("/metrics with 6 jobs:") }, "\(lines)")
        #expect(scrapeLine.contains(" 60 per-job series; 20 scrapes: p50 "), "\(scrapeLine)")
    }

    @Test(arguments: ["ADDED", "MODIFIED", "DELETED"])
    func watchLineFromCommittedBytesMatchesEncodingTheEvent(type: String) {
        let object: JSONValue = .object([
            "apiVersion": .string("v1"), "kind": .string("ConfigMap"),
            "metadata": .object(["name": .string("a/b \"quoted\" \u{e9}\n"), "resourceVersion": .string("7")]),
            "data": .object(["x": .integer(-3), "y": .double(1.5), "z": .bool(true), "n": .null, "list": .array([.string("</>")])]),
        ])
        let event = ServerWatchEvent(type: type, object: object, encodedObject: JSONCoding.encode(object))
        let encoded = ServerWatchEvent(type: type, object: object)
        #expect(event.line == JSONCoding.encode(encoded.json) + Data("\n".utf8))
        #expect(encoded.line == event.line)
    }

    @Test func timestampsAreWholeSecondRFC3339InUTC() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringmaster-ts-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = try ClusterState(
            layout: Layout(dataDirectory: directory), eventWindow: 100, now: { Date(timeIntervalSince1970: 1_136_214_245.75) })
        #expect(state.timestamp() == "2006-01-02T15:04:05Z")
        #expect(state.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
    }
}
