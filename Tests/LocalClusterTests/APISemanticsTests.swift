import Foundation
import KubeClient
@testable import LocalCluster
import RingmasterTesting
import Testing

/// The Kubernetes API semantics of the local server, over plain HTTP.
@Suite struct APISemanticsTests {
    @Test func staleResourceVersionConflicts() async throws {
        let cluster = try await LocalClusterFixture.start()
        let api = try APITestClient(cluster)
        let created = try await api.post("/api/v1/namespaces/default/configmaps", TestObjects.configMap("c1"))
        #expect(created.status == 201)
        var update = created.body
        update["data"] = .object(["k": .string("v1")])
        let first = try await api.put("/api/v1/namespaces/default/configmaps/c1", update)
        #expect(first.status == 200)
        #expect(first.body["metadata"]?["resourceVersion"] != created.body["metadata"]?["resourceVersion"])
        update["data"] = .object(["k": .string("v2")])
        let stale = try await api.put("/api/v1/namespaces/default/configmaps/c1", update)
        #expect(stale.status == 409)
        #expect(stale.body["reason"]?.stringValue == "Conflict")
        try await cluster.shutdown()
    }

    @Test func generationAndStatusSeparation() async throws {
        let cluster = try await LocalClusterFixture.start()
        let api = try APITestClient(cluster)
        #expect(try await api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", TestObjects.widgetCRD).status == 201)
        let path = "/apis/test.ringmaster.dev/v1/namespaces/default/widgets"
        var widget = TestObjects.widget("w1")
        widget["status"] = .object(["phase": .string("Ignored")])
        let created = try await api.post(path, widget)
        #expect(created.status == 201)
        #expect(created.body["metadata"]?["generation"]?.intValue == 1)
        #expect(created.body["status"] == nil)
        #expect(created.body["spec"]?["color"]?.stringValue == "red")  // defaulted

        // A status write leaves generation and spec alone.
        let status = try await api.mergePatch(path + "/w1/status", .object(["status": .object(["phase": .string("Running")]), "spec": .object(["size": .integer(9)])]))
        #expect(status.status == 200)
        #expect(status.body["status"]?["phase"]?.stringValue == "Running")
        #expect(status.body["spec"]?["size"]?.intValue == 3)
        #expect(status.body["metadata"]?["generation"]?.intValue == 1)

        // A main-resource write ignores status and bumps generation on spec changes only.
        let spec = try await api.mergePatch(path + "/w1", .object(["spec": .object(["size": .integer(5)]), "status": .object(["phase": .string("X")])]))
        #expect(spec.body["metadata"]?["generation"]?.intValue == 2)
        #expect(spec.body["status"]?["phase"]?.stringValue == "Running")
        let label = try await api.mergePatch(path + "/w1", .object(["metadata": .object(["labels": .object(["a": .string("b")])])]))
        #expect(label.body["metadata"]?["generation"]?.intValue == 2)
        #expect(label.body["metadata"]?["labels"]?["a"]?.stringValue == "b")
        try await cluster.shutdown()
    }

    @Test func schemaValidationNamesTheField() async throws {
        let cluster = try await LocalClusterFixture.start()
        let api = try APITestClient(cluster)
        _ = try await api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", TestObjects.widgetCRD)
        let path = "/apis/test.ringmaster.dev/v1/namespaces/default/widgets"
        let tooSmall = try await api.post(path, TestObjects.widget("w0", size: 0))
        #expect(tooSmall.status == 422)
        #expect(tooSmall.body["message"]?.stringValue == "Widget.test.ringmaster.dev \"w0\" is invalid: spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1")
        #expect(tooSmall.body["details"]?["causes"]?.arrayValue?.first?["field"]?.stringValue == "spec.size")
        let badEnum = try await api.post(path, TestObjects.widget("w2", extra: ["color": .string("green"), "name": .string("ABC")]))
        #expect(badEnum.status == 422)
        #expect(badEnum.text.contains("spec.color: Unsupported value: \\\"green\\\""))
        #expect(badEnum.text.contains("spec.name in body should match '^[a-z]+$'"))
        let missing = try await api.post(path, .object(["apiVersion": .string("test.ringmaster.dev/v1"), "kind": .string("Widget"),
                                                         "metadata": .object(["name": .string("w3")]), "spec": .object([:])]))
        #expect(missing.body["message"]?.stringValue?.contains("spec.size: Required value") == true)
        // Unknown fields are pruned.
        let pruned = try await api.post(path, TestObjects.widget("w4", extra: ["unknown": .string("x")]))
        #expect(pruned.status == 201)
        #expect(pruned.body["spec"]?["unknown"] == nil)
        try await cluster.shutdown()
    }

    @Test func finalizersHoldDeletion() async throws {
        let cluster = try await LocalClusterFixture.start()
        let api = try APITestClient(cluster)
        var object = TestObjects.configMap("held")
        object["metadata"]?["finalizers"] = .array([.string("example.com/hold")])
        #expect(try await api.post("/api/v1/namespaces/default/configmaps", object).status == 201)
        let deleted = try await api.delete("/api/v1/namespaces/default/configmaps/held")
        #expect(deleted.status == 200)
        #expect(deleted.body["metadata"]?["deletionTimestamp"] != nil)
        #expect(try await api.get("/api/v1/namespaces/default/configmaps/held").status == 200)
        let released = try await api.mergePatch("/api/v1/namespaces/default/configmaps/held", .object(["metadata": .object(["finalizers": .null])]))
        #expect(released.status == 200)
        #expect(try await api.get("/api/v1/namespaces/default/configmaps/held").status == 404)
        try await cluster.shutdown()
    }

    @Test func labelAndFieldSelectors() async throws {
        let cluster = try await LocalClusterFixture.start()
        let api = try APITestClient(cluster)
        for (name, tier) in [("a", "web"), ("b", "db"), ("c", "web")] {
            _ = try await api.post("/api/v1/namespaces/default/configmaps", TestObjects.configMap(name, labels: ["tier": tier, "app": "x"]))
        }
        _ = try await api.post("/api/v1/namespaces/default/configmaps", TestObjects.configMap("d"))
        func names(_ query: String) async throws -> [String] {
            let list = try await api.get("/api/v1/namespaces/default/configmaps?\(query)")
            return (list.body["items"]?.arrayValue ?? []).compactMap { $0["metadata"]?["name"]?.stringValue }
        }
        #expect(try await names("labelSelector=tier%3Dweb") == ["a", "c"])
        #expect(try await names("labelSelector=tier%3D%3Dweb") == ["a", "c"])
        #expect(try await names("labelSelector=tier!%3Dweb") == ["b", "d"])
        #expect(try await names("labelSelector=tier%20in%20(db,web),app") == ["a", "b", "c"])
        #expect(try await names("labelSelector=tier%20notin%20(web)") == ["b", "d"])
        #expect(try await names("labelSelector=!tier") == ["d"])
        #expect(try await names("fieldSelector=metadata.name%3Db") == ["b"])
        #expect(try await names("fieldSelector=metadata.name!%3Db") == ["a", "c", "d"])
        let unsupported = try await api.get("/api/v1/namespaces/default/configmaps?fieldSelector=spec.foo%3Dx")
        #expect(unsupported.status == 400)
        try await cluster.shutdown()
    }

    @Test func paginationWithLimitAndContinue() async throws {
        let cluster = try await LocalClusterFixture.start()
        let api = try APITestClient(cluster)
        for i in 0..<5 { _ = try await api.post("/api/v1/namespaces/default/configmaps", TestObjects.configMap("p\(i)")) }
        var seen: [String] = []
        var token = ""
        var pages = 0
        repeat {
            let page = try await api.get("/api/v1/namespaces/default/configmaps?limit=2" + (token.isEmpty ? "" : "&continue=\(token)"))
            seen += (page.body["items"]?.arrayValue ?? []).compactMap { $0["metadata"]?["name"]?.stringValue }
            token = page.body["metadata"]?["continue"]?.stringValue?.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            pages += 1
        } while !token.isEmpty && pages < 10
        #expect(seen == ["p0", "p1", "p2", "p3", "p4"])
        #expect(pages == 3)
        try await cluster.shutdown()
    }

    @Test func watchReplaysFromResourceVersionAndExpiresPastTheWindow() async throws {
        let cluster = try await LocalClusterFixture.start(options: .init(eventWindow: 5))
        let api = try APITestClient(cluster)
        let first = try await api.post("/api/v1/namespaces/default/configmaps", TestObjects.configMap("w0"))
        let start = first.body["metadata"]?["resourceVersion"]?.stringValue ?? ""
        for i in 1...3 { _ = try await api.post("/api/v1/namespaces/default/configmaps", TestObjects.configMap("w\(i)")) }
        let events = try await api.watch("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=\(start)") { $0.count >= 3 }
        #expect(events.map { $0["object"]?["metadata"]?["name"]?.stringValue ?? "" } == ["w1", "w2", "w3"])
        #expect(events.allSatisfy { $0["type"]?.stringValue == "ADDED" })
        // Push the start past the event window (500 writes compact to 5 events).
        for i in 0..<500 {
            _ = try await api.mergePatch("/api/v1/namespaces/default/configmaps/w0", .object(["data": .object(["n": .string(String(i))])]))
        }
        let expired = try await api.watch("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=\(start)") { !$0.isEmpty }
        #expect(expired.first?["type"]?.stringValue == "ERROR")
        #expect(expired.first?["object"]?["code"]?.intValue == 410)
        try await cluster.shutdown()
    }

    @Test func bookmarksCarryTheCurrentResourceVersion() async throws {
        let cluster = try await LocalClusterFixture.start(options: .init(bookmarkInterval: .milliseconds(200)))
        let api = try APITestClient(cluster)
        let created = try await api.post("/api/v1/namespaces/default/configmaps", TestObjects.configMap("b0"))
        let rv = created.body["metadata"]?["resourceVersion"]?.stringValue ?? ""
        let events = try await api.watch("/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion=\(rv)") {
            $0.contains { $0["type"]?.stringValue == "BOOKMARK" }
        }
        let bookmark = events.first { $0["type"]?.stringValue == "BOOKMARK" }
        #expect(bookmark?["object"]?["metadata"]?["resourceVersion"]?.stringValue == rv)
        try await cluster.shutdown()
    }

    @Test func watchSeesLiveChangesInOrder() async throws {
        let cluster = try await LocalClusterFixture.start()
        let api = try APITestClient(cluster)
        let list = try await api.get("/api/v1/namespaces/default/configmaps")
        let rv = list.body["metadata"]?["resourceVersion"]?.stringValue ?? "0"
        async let events = api.watch("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=\(rv)") { $0.count >= 3 }
        try await Task.sleep(for: .milliseconds(200))
        _ = try await api.post("/api/v1/namespaces/default/configmaps", TestObjects.configMap("live"))
        _ = try await api.mergePatch("/api/v1/namespaces/default/configmaps/live", .object(["data": .object(["a": .string("b")])]))
        _ = try await api.delete("/api/v1/namespaces/default/configmaps/live")
        #expect(try await events.map { $0["type"]?.stringValue ?? "" } == ["ADDED", "MODIFIED", "DELETED"])
        try await cluster.shutdown()
    }
}
