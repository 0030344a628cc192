import Foundation
import KubeClient
@testable import LocalCluster
import RingmasterTesting
import Testing

/// Deletion semantics: garbage collection policies, graceful pod deletion,
/// namespaces; plus logs and fault injection.
@Suite struct LifecycleTests {
    static func owner(_ object: JSONValue, block: Bool) -> JSONValue {
        .object([
            "apiVersion": .string("v1"), "kind": .string("ConfigMap"),
            "name": object["metadata"]?["name"] ?? .null, "uid": object["metadata"]?["uid"] ?? .null,
            "blockOwnerDeletion": .bool(block),
        ])
    }

    static func waitUntil(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<50 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test func foregroundDeletionWaitsForBlockingDependents() async throws {
        let cluster = try await LocalClusterFixture.start()
        let api = try APITestClient(cluster)
        let parent = try await api.post("/api/v1/namespaces/default/configmaps", TestObjects.configMap("parent")).body
        var child = TestObjects.configMap("child")
        child["metadata"]?["ownerReferences"] = .array([Self.owner(parent, block: true)])
        child["metadata"]?["finalizers"] = .array([.string("test/hold")])
        _ = try await api.post("/api/v1/namespaces/default/configmaps", child)
        let deleted = try await api.delete("/api/v1/namespaces/default/configmaps/parent", .object(["propagationPolicy": .string("Foreground")]))
        #expect(deleted.body["metadata"]?["finalizers"]?.arrayValue?.contains(.string("foregroundDeletion")) == true)
        // The child is being deleted but held by its finalizer, so the parent stays.
        #expect(try await Self.waitUntil { try await api.get("/api/v1/namespaces/default/configmaps/child").body["metadata"]?["deletionTimestamp"] != nil })
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await api.get("/api/v1/namespaces/default/configmaps/parent").status == 200)
        _ = try await api.mergePatch("/api/v1/namespaces/default/configmaps/child", .object(["metadata": .object(["finalizers": .null])]))
        #expect(try await Self.waitUntil { try await api.get("/api/v1/namespaces/default/configmaps/parent").status == 404 })
        try await cluster.shutdown()
    }

    @Test func orphanDeletionKeepsDependents() async throws {
        let cluster = try await LocalClusterFixture.start()
        let api = try APITestClient(cluster)
        let parent = try await api.post("/api/v1/namespaces/default/configmaps", TestObjects.configMap("parent")).body
        var child = TestObjects.configMap("child")
        child["metadata"]?["ownerReferences"] = .array([Self.owner(parent, block: false)])
        _ = try await api.post("/api/v1/namespaces/default/configmaps", child)
        _ = try await api.delete("/api/v1/namespaces/default/configmaps/parent", .object(["propagationPolicy": .string("Orphan")]))
        #expect(try await Self.waitUntil { try await api.get("/api/v1/namespaces/default/configmaps/parent").status == 404 })
        let kept = try await api.get("/api/v1/namespaces/default/configmaps/child")
        #expect(kept.status == 200)
        #expect(kept.body["metadata"]?["ownerReferences"] == nil)
        try await cluster.shutdown()
    }

    @Test func scheduledPodsTerminateGracefully() async throws {
        let cluster = try await LocalClusterFixture.start()
        let api = try APITestClient(cluster)
        // Never scheduled: deleted at once.
        _ = try await api.post("/api/v1/namespaces/default/pods", TestObjects.pod("unscheduled"))
        _ = try await api.delete("/api/v1/namespaces/default/pods/unscheduled")
        #expect(try await api.get("/api/v1/namespaces/default/pods/unscheduled").status == 404)
        // Bound to a node: marked, then removed when the node confirms with grace 0.
        _ = try await api.post("/api/v1/namespaces/default/pods", TestObjects.pod("running"))
        let binding = JSONValue.object(["apiVersion": .string("v1"), "kind": .string("Binding"), "metadata": .object(["name": .string("running")]),
                                        "target": .object(["kind": .string("Node"), "name": .string("local")])])
        #expect(try await api.post("/api/v1/namespaces/default/pods/running/binding", binding).status == 201)
        let marked = try await api.delete("/api/v1/namespaces/default/pods/running")
        #expect(marked.body["metadata"]?["deletionTimestamp"] != nil)
        #expect(marked.body["metadata"]?["deletionGracePeriodSeconds"]?.intValue == 30)
        // Status updates during termination keep the pod.
        _ = try await api.mergePatch("/api/v1/namespaces/default/pods/running/status", .object(["status": .object(["phase": .string("Running")])]))
        #expect(try await api.get("/api/v1/namespaces/default/pods/running").status == 200)
        _ = try await api.delete("/api/v1/namespaces/default/pods/running", .object(["gracePeriodSeconds": .integer(0)]))
        #expect(try await api.get("/api/v1/namespaces/default/pods/running").status == 404)
        try await cluster.shutdown()
    }

    @Test func deletingANamespaceDeletesItsContents() async throws {
        let cluster = try await LocalClusterFixture.start()
        let api = try APITestClient(cluster)
        _ = try await api.post("/api/v1/namespaces", .object(["apiVersion": .string("v1"), "kind": .string("Namespace"), "metadata": .object(["name": .string("team")])]))
        #expect(try await api.post("/api/v1/namespaces/team/configmaps", TestObjects.configMap("c")).status == 201)
        #expect(try await api.post("/api/v1/namespaces/missing/configmaps", TestObjects.configMap("c")).status == 404)
        _ = try await api.delete("/api/v1/namespaces/team")
        #expect(try await Self.waitUntil { try await api.get("/api/v1/namespaces/team").status == 404 })
        #expect(try await api.get("/api/v1/namespaces/team/configmaps/c").status == 404)
        try await cluster.shutdown()
    }

    @Test func kubectlLogsReadsTheContainerLogFile() async throws {
        let cluster = try await LocalClusterFixture.start()
        let api = try APITestClient(cluster)
        _ = try await api.post("/api/v1/namespaces/default/pods", TestObjects.pod("logger"))
        let file = try Layout(dataDirectory: cluster.dataDirectory).containerLog(namespace: "default", pod: "logger", container: "main")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("line 1\nline 2\nline 3\n".utf8).write(to: file)
        let all = try await KubectlAcceptanceTests.kubectl(cluster, ["logs", "logger"])
        #expect(all.standardOutput == "line 1\nline 2\nline 3\n")
        let tail = try await KubectlAcceptanceTests.kubectl(cluster, ["logs", "logger", "--tail=1"])
        #expect(tail.standardOutput == "line 3\n")
        try await cluster.shutdown()
    }

    @Test func faultInjectionAnswersErrorsAndDropsWatches() async throws {
        let cluster = try await LocalClusterFixture.start(faults: FaultInjection(errors: [.init(code: 500, rate: 1, verbs: ["create"])]))
        let api = try APITestClient(cluster)
        let failed = try await api.post("/api/v1/namespaces/default/configmaps", TestObjects.configMap("x"))
        #expect(failed.status == 500)
        #expect(try await api.get("/api/v1/namespaces/default/configmaps").status == 200)
        cluster.server.faults = FaultInjection(dropWatchAfterEvents: 2)
        for i in 0..<4 { _ = try await api.post("/api/v1/namespaces/default/configmaps", TestObjects.configMap("c\(i)")) }
        let events = try await api.watch("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0", timeout: .seconds(5)) { $0.count >= 4 }
        #expect(events.count == 2)
        #expect(try FaultInjection(parsing: "error=429:0.5:get|list,drop-watch-after=3,latency-ms=10").errors.first?.code == 429)
        #expect(throws: FaultInjectionParseError.self) { try FaultInjection(parsing: "error=418:1") }
        try await cluster.shutdown()
    }

    @Test func benchmarkPrintsThroughputRows() async throws {
        let result = try await ProcessRunner.run(try ExternalTools.product("ringmaster"), ["bench", "apiserver", "--objects", "50", "--lists", "1"])
        #expect(result.status == 0, "\(result.combinedOutput)")
        let rows = result.standardOutput.split(separator: "\n").map { $0.split(separator: "\t") }
        #expect(rows.first?.first == "benchmark")
        #expect(rows.dropFirst().map { String($0[1]) } == ["create", "list", "watch"])
        #expect(rows.dropFirst().allSatisfy { Int($0[2]) == 50 && (Double($0[5]) ?? 0) > 0 })
    }
}
