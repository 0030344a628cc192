import AsyncHTTPClient
import Foundation
import KubeClient
@testable import LocalCluster
import NIOCore
import NIOFoundationCompat
import RingmasterTesting
import Testing

/// `ringmaster local up` as a separate process, killed with SIGKILL mid-load.
@Suite struct DurabilityTests {
    /// A running `ringmaster local up`.
    struct ServerProcess {
        var process: Process
        var baseURL: URL
        /// The server's administrator, from the kubeconfig it wrote.
        var api: APITestClient

        static func start(dataDirectory: URL) async throws -> ServerProcess {
            let kubeconfig = dataDirectory.appendingPathComponent("kubeconfig")
            try? FileManager.default.removeItem(at: kubeconfig)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try ExternalTools.product("ringmaster"))
            process.arguments = ["local", "up", "--port", "0", "--data-dir", dataDirectory.path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<100 {
                if let config = try? KubeConfig.load(kubeconfigPath: kubeconfig.path), let url = URL(string: config.server) {
                    return ServerProcess(process: process, baseURL: url, api: try APITestClient(config: config))
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            process.terminate()
            throw APIError(code: 0, reason: "Timeout", message: "ringmaster local up wrote no kubeconfig within 10s")
        }

        func kill() {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Collects watch events until the stream ends (or fails) or `until` holds.
    actor EventLog {
        var events: [JSONValue] = []
        func append(_ event: JSONValue) { events.append(event) }
    }

    static func follow(_ path: String, with api: APITestClient, into log: EventLog, until: @escaping @Sendable ([JSONValue]) -> Bool) async {
        do {
            let response = try await HTTPClient.shared.execute(api.makeRequest(path), timeout: .seconds(30))
            var pending = Data()
            for try await chunk in response.body {
                pending.append(Data(buffer: chunk))
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    if let event = try? JSONDecoder().decode(JSONValue.self, from: Data(pending[pending.startIndex..<newline])) {
                        await log.append(event)
                    }
                    pending = Data(pending[pending.index(after: newline)...])
                    if until(await log.events) { return }
                }
            }
        } catch {
            // The server was killed: the stream ends here.
        }
    }

    @Test func everyAcknowledgedWriteSurvivesSigkillAndWatchResumesWithoutGap() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringmaster-durability-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try await ServerProcess.start(dataDirectory: directory)
        let api = first.api
        let startRV = try await api.get("/api/v1/namespaces/default/configmaps").body["metadata"]?["resourceVersion"]?.stringValue ?? "0"
        let firstLog = EventLog()
        let acknowledged = AcknowledgedNames()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await Self.follow("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=\(startRV)",
                                  with: api, into: firstLog) { _ in false }
            }
            group.addTask {
                var i = 0
                while true {
                    guard let response = try? await api.post("/api/v1/namespaces/default/configmaps", TestObjects.configMap("load-\(i)")),
                          response.status == 201 else { return }
                    await acknowledged.add("load-\(i)")
                    i += 1
                }
            }
            group.addTask {
                while await acknowledged.count < 40 { try? await Task.sleep(for: .milliseconds(5)) }
                first.kill()
            }
        }
        let names = await acknowledged.names
        #expect(names.count >= 40)

        let second = try await ServerProcess.start(dataDirectory: directory)
        defer { second.process.terminate(); second.process.waitUntilExit() }
        let restarted = second.api
        // The restarted server may get the same port back; a pooled connection
        // to the killed process then fails once, as it would for any client.
        func retrying<T>(_ body: () async throws -> T) async throws -> T {
            for _ in 0..<3 { if let value = try? await body() { return value } }
            return try await body()
        }
        let list = try await retrying { try await restarted.get("/api/v1/namespaces/default/configmaps") }
        let stored = Set((list.body["items"]?.arrayValue ?? []).compactMap { $0["metadata"]?["name"]?.stringValue })
        #expect(Set(names).isSubset(of: stored), "lost: \(Set(names).subtracting(stored).sorted())")

        // Resume the watch from the last resourceVersion the first stream delivered.
        let seenBefore = await firstLog.events
        let lastRV = seenBefore.last?["object"]?["metadata"]?["resourceVersion"]?.stringValue ?? startRV
        let secondLog = EventLog()
        let expected = stored
        let seenNames = Set(seenBefore.compactMap { $0["object"]?["metadata"]?["name"]?.stringValue })
        await Self.follow("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=\(lastRV)&timeoutSeconds=3",
                          with: restarted, into: secondLog) { events in
            seenNames.union(events.compactMap { $0["object"]?["metadata"]?["name"]?.stringValue }) == expected
        }
        let resumed = await secondLog.events
        #expect(resumed.allSatisfy { $0["type"]?.stringValue == "ADDED" })
        let all = seenBefore + resumed
        let allNames = all.compactMap { $0["object"]?["metadata"]?["name"]?.stringValue }
        #expect(Set(allNames) == expected)
        #expect(allNames.count == Set(allNames).count, "an event was delivered twice")
        let versions = all.compactMap { $0["object"]?["metadata"]?["resourceVersion"]?.stringValue.flatMap { Int64($0) } }
        #expect(versions == versions.sorted())

        // New writes continue the resourceVersion sequence.
        let next = try await retrying { try await restarted.post("/api/v1/namespaces/default/configmaps", TestObjects.configMap("after-restart")) }
        let nextRV = Int64(next.body["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? 0
        #expect(nextRV > (versions.last ?? 0))
    }
}

actor AcknowledgedNames {
    var names: [String] = []
    var count: Int { names.count }
    func add(_ name: String) { names.append(name) }
}
