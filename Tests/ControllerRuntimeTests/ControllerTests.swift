import ControllerRuntime
import Foundation
import KubeClient
import RingmasterTesting
import Testing

/// A controller over ConfigMaps that owns Secrets, against the local API server.
@Suite struct ControllerTests {
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var calls: [String: Int] = [:]
        private var inFlight: Set<String> = []
        private(set) var overlaps = 0
        func begin(_ key: String) -> Int {
            lock.lock(); defer { lock.unlock() }
            if inFlight.contains(key) { overlaps += 1 }
            inFlight.insert(key)
            calls[key, default: 0] += 1
            return calls[key]!
        }
        func end(_ key: String) {
            lock.lock(); defer { lock.unlock() }
            inFlight.remove(key)
        }
        func count(_ key: String) -> Int { lock.lock(); defer { lock.unlock() }; return calls[key] ?? 0 }
    }

    struct ChildReconciler: Reconciler {
        let client: KubernetesClient
        let cache: ObjectCache<ConfigMap>
        let log: Log

        func reconcile(_ request: ReconcileRequest) async throws -> ReconcileResult {
            let key = request.description
            let attempt = log.begin(key)
            defer { log.end(key) }
            try await Task.sleep(for: .milliseconds(5))
            switch request.name {
            case "flaky" where attempt <= 2: throw KubeClientError(.transport, "scripted failure \(attempt)")
            case "bad": throw TerminalError("the spec can never work")
            case "periodic": return attempt < 4 ? .requeue(after: .milliseconds(20)) : .done
            default: break
            }
            let owner: ConfigMap
            do { owner = try await cache.get(request.name, in: request.namespace) } catch let error as KubernetesAPIError
                where error.isNotFound { return .done }
            let child = Secret(
                metadata: ObjectMeta(name: "\(request.name)-child", namespace: request.namespace, ownerReferences: [
                    OwnerReference(apiVersion: "v1", kind: "ConfigMap", name: request.name,
                                   uid: owner.metadata.uid ?? "", controller: true),
                ]),
                stringData: ["from": request.name])
            do { _ = try await client.secrets.create(child) } catch let error as KubernetesAPIError
                where error.isAlreadyExists {}
            return .done
        }
    }

    @Test func reconcilesOwnersRetriesErrorsAndHonoursRequeueRules() async throws {
        let cluster = try await LocalClusterFixture.start()
        do {
            let client = try KubernetesClient(config: KubeConfig.load(kubeconfigPath: cluster.kubeconfigPath),
                                              options: ClientOptions(qps: nil))
            let maps = Informer(client: client.configMaps, namespace: .namespace("default"))
            let secrets = Informer(client: client.secrets, namespace: .namespace("default"))
            let log = Log()
            let controller = Controller(
                name: "children", reconciler: ChildReconciler(client: client, cache: maps.cache, log: log),
                sources: [.primary(maps), .owned(secrets, by: ConfigMap.descriptor)], maxConcurrentReconciles: 3)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await maps.run() }
                group.addTask { try await secrets.run() }
                group.addTask { try await controller.run() }
                for name in ["job", "flaky", "bad", "periodic"] {
                    _ = try await client.configMaps.create(ConfigMap(metadata: ObjectMeta(name: name, namespace: "default")))
                }
                try await waitUntil("child created") { secrets.store.get(ObjectKey(namespace: "default", name: "job-child")) != nil }
                // Deleting the child reconciles the owner again, which recreates it.
                let before = log.count("default/job")
                try await client.secrets.delete("job-child", in: "default")
                try await waitUntil("owner reconciled") { log.count("default/job") > before }
                try await waitUntil("child recreated") {
                    (try? await client.secrets.get("job-child", in: "default")) != nil
                }
                // Two errors, a success that creates the child, and one more reconcile
                // triggered by that child's creation.
                try await waitUntil("flaky succeeded") { log.count("default/flaky") == 4 }
                try await waitUntil("periodic finished") { log.count("default/periodic") == 4 }
                try await Task.sleep(for: .milliseconds(200))
                #expect(log.count("default/flaky") == 4)      // no retries after success
                #expect((try? await client.secrets.get("flaky-child", in: "default")) != nil)
                #expect(log.count("default/bad") == 1)        // terminal: never retried
                #expect(log.count("default/periodic") == 4)   // three requeues, then done
                #expect(log.overlaps == 0)
                #expect(controller.hasSynced)
                group.cancelAll()
            }
        } catch {
            try? await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }

    @Test func informerCacheEqualsServerWhileTheServerDropsWatches() async throws {
        // The local API server's own fault injection closes every watch after 3 events.
        let cluster = try await LocalClusterFixture.start(faults: .init(dropWatchAfterEvents: 3))
        do {
            let client = try KubernetesClient(config: KubeConfig.load(kubeconfigPath: cluster.kubeconfigPath),
                                              options: ClientOptions(qps: nil))
            let informer = Informer(client: client.configMaps, namespace: .allNamespaces, pageSize: 4,
                                    errorBackoff: .milliseconds(10))
            for index in 0..<10 {
                _ = try await client.configMaps.create(ConfigMap(
                    metadata: ObjectMeta(name: "m\(index)", namespace: "default"), data: ["v": "0"]))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await informer.run() }
                await informer.waitForSync()
                for index in 0..<10 {
                    if index % 3 == 0 {
                        try await client.configMaps.delete("m\(index)", in: "default")
                    } else {
                        _ = try await client.configMaps.patch("m\(index)", in: "default", .merge(["data": ["v": "1"]]))
                    }
                }
                _ = try await client.configMaps.create(ConfigMap(metadata: ObjectMeta(name: "late", namespace: "default")))
                func serverState() async throws -> [String: String] {
                    let list = try await client.configMaps.listAll(in: .allNamespaces)
                    return Dictionary(uniqueKeysWithValues: list.items.map {
                        ("\($0.metadata.namespace ?? "")/\($0.metadata.name ?? "")", $0.metadata.resourceVersion ?? "")
                    })
                }
                func cacheState() -> [String: String] {
                    Dictionary(uniqueKeysWithValues: informer.store.list().map {
                        ("\($0.metadata.namespace ?? "")/\($0.metadata.name ?? "")", $0.metadata.resourceVersion ?? "")
                    })
                }
                try await waitUntil("cache equals server") { try await serverState() == cacheState() }
                #expect(try await serverState() == cacheState())
                #expect(informer.requestCounts.watches > 1)
                group.cancelAll()
            }
        } catch {
            try? await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }
}
