import Foundation
import KubeClient
import RingmasterTesting
import Testing

/// The client's verbs against the local API server, over real HTTP.
@Suite struct ClientCRUDTests {
    static func withCluster(_ body: (LocalClusterFixture, KubernetesClient) async throws -> Void) async throws {
        let cluster = try await LocalClusterFixture.start()
        do {
            let client = try KubernetesClient(config: KeyConfig.load(cluster), options: ClientOptions(qps: nil))
            try await body(cluster, client)
        } catch {
            try? await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }

    @Test func createGetUpdateDeleteAndTypedErrors() async throws {
        try await Self.withCluster { _, client in
            let maps = client.configMaps
            let created = try await maps.create(ConfigMap(
                metadata: ObjectMeta(name: "settings", namespace: "default", labels: ["app": "x"]),
                data: ["a": "1"]))
            #expect(created.metadata.uid != nil)
            #expect(created.metadata.resourceVersion != nil)

            let duplicate = await #expect(throws: KubernetesAPIError.self) {
                _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "settings", namespace: "default")))
            }
            #expect(duplicate?.isAlreadyExists == true)
            #expect(duplicate?.code == 409)

            var fetched = try await maps.get("settings", in: "default")
            #expect(fetched.data == ["a": "1"])
            fetched.data = ["a": "2"]
            let updated = try await maps.update(fetched)
            #expect(updated.data == ["a": "2"])
            #expect(updated.metadata.resourceVersion != created.metadata.resourceVersion)

            // A write with the stale resourceVersion is a typed Conflict.
            var stale = created
            stale.data = ["a": "3"]
            let conflict = await #expect(throws: KubernetesAPIError.self) { _ = try await maps.update(stale) }
            #expect(conflict?.isConflict == true)

            let patched = try await maps.patch("settings", in: "default", .merge(["data": ["b": "x"]]))
            #expect(patched.data == ["a": "2", "b": "x"])
            let jsonPatched = try await maps.patch("settings", in: "default", .json([.replace("/data/b", "y")]))
            #expect(jsonPatched.data?["b"] == "y")

            try await maps.delete("settings", in: "default")
            let missing = await #expect(throws: KubernetesAPIError.self) { _ = try await maps.get("settings", in: "default") }
            #expect(missing?.isNotFound == true)
            #expect(missing?.code == 404)
        }
    }

    @Test func listPagesWithLabelSelectorsAndContinueTokens() async throws {
        try await Self.withCluster { _, client in
            for index in 0..<7 {
                _ = try await client.configMaps.create(ConfigMap(
                    metadata: ObjectMeta(name: "cm-\(index)", namespace: "default",
                                         labels: ["parity": index % 2 == 0 ? "even" : "odd"])))
            }
            let firstPage = try await client.configMaps.list(
                in: .namespace("default"), options: ListOptions(labelSelector: "parity=even", limit: 2))
            #expect(firstPage.items.count == 2)
            #expect(firstPage.metadata.continue?.isEmpty == false)
            let all = try await client.configMaps.listAll(
                in: .namespace("default"), options: ListOptions(labelSelector: "parity=even"), pageSize: 2)
            #expect(all.items.compactMap(\.metadata.name).sorted() == ["cm-0", "cm-2", "cm-4", "cm-6"])
            let odd = try await client.configMaps.listAll(
                in: .allNamespaces, options: ListOptions(labelSelector: "parity in (odd)"), pageSize: 3)
            #expect(odd.items.count == 3)
        }
    }

    @Test func statusSubresourceAndUnstructuredVerbs() async throws {
        try await Self.withCluster { _, client in
            let pod = Pod(
                metadata: ObjectMeta(name: "p", namespace: "default"),
                spec: PodSpec(containers: [Container(name: "main", image: "busybox")], nodeName: "nowhere"))
            _ = try await client.pods.create(pod)
            let patched = try await client.pods.patchStatus(
                "p", in: "default", .merge(["status": ["phase": "Running", "podIP": "10.0.0.9"]]))
            #expect(patched.status?.phase == "Running")
            #expect(patched.status?.podIP == "10.0.0.9")
            let status = try await client.pods.getStatus("p", in: "default")
            #expect(status.status?.phase == "Running")

            // The same object through the unstructured verbs.
            let pods = client.unstructured(Pod.descriptor)
            let raw = try await pods.get("p", in: "default")
            #expect(raw.json["status"]?["phase"]?.stringValue == "Running")
            #expect(raw.metadata.name == "p")
            let rawList = try await pods.list(in: .namespace("default"))
            #expect(rawList.items.count == 1)
        }
    }

    @Test func watchStreamsEventsFromAResourceVersion() async throws {
        try await Self.withCluster { _, client in
            let maps = client.configMaps
            let start = try await maps.list(in: .namespace("default"))
            let stream = try await maps.watch(
                in: .namespace("default"),
                options: WatchOptions(resourceVersion: start.metadata.resourceVersion, timeoutSeconds: 30))
            _ = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "w", namespace: "default"), data: ["v": "1"]))
            _ = try await maps.patch("w", in: "default", .merge(["data": ["v": "2"]]))
            try await maps.delete("w", in: "default")
            var seen: [(WatchEventType, String?)] = []
            for try await event in stream {
                if event.type == .bookmark { continue }
                seen.append((event.type, event.object?.data?["v"]))
                if seen.count == 3 { break }
            }
            #expect(seen.map(\.0) == [.added, .modified, .deleted])
            #expect(seen.map(\.1) == ["1", "2", "2"])
        }
    }
}

/// Builds a client configuration for the fixture through the kubeconfig it writes.
enum KeyConfig {
    static func load(_ cluster: LocalClusterFixture) throws -> KubeConfig {
        try KubeConfig.load(kubeconfigPath: cluster.kubeconfigPath)
    }
}
