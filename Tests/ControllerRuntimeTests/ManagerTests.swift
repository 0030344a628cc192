import AsyncHTTPClient
import ControllerRuntime
import Foundation
import KubeClient
import NIOCore
import RingmasterTesting
import Testing

/// Two managers with leader election against one local API server.
@Suite struct ManagerTests {
    struct CountingReconciler: Reconciler {
        let name: String
        let log: ControllerTests.Log
        func reconcile(_ request: ReconcileRequest) async throws -> ReconcileResult {
            _ = log.begin("\(name):\(request)")
            log.end("\(name):\(request)")
            return .done
        }
    }

    static func get(_ url: String) async throws -> (Int, String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    @Test func onlyTheLeaderReconcilesAndTheOtherTakesOverAfterAGracefulStop() async throws {
        let cluster = try await LocalClusterFixture.start()
        do {
            let clock = ManualClock()
            let log = ControllerTests.Log()
            func manager(_ name: String) throws -> Manager {
                let client = try KubernetesClient(config: KubeConfig.load(kubeconfigPath: cluster.kubeconfigPath),
                                                  options: ClientOptions(qps: nil, clock: clock))
                let manager = try Manager(options: ManagerOptions(
                    metricsBindAddress: "0", healthProbeBindAddress: "0", leaderElect: true,
                    leaderElectionID: "managers", leaderElectionNamespace: "default",
                    leaderElectionIdentity: name, namespace: "default", syncPeriod: nil), client: client, clock: clock)
                let maps = manager.informer(for: ConfigMap.self)
                manager.add(Controller(name: "counting-\(name)", reconciler: CountingReconciler(name: name, log: log),
                                       sources: [.primary(maps)], clock: clock))
                return manager
            }
            let first = try manager("first")
            let second = try manager("second")
            let client = first.client
            _ = try await client.configMaps.create(ConfigMap(metadata: ObjectMeta(name: "x", namespace: "default")))
            let firstTask = Task { try await first.run() }
            try await waitUntil("first leads") { first.isLeading && log.count("first:default/x") == 1 }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await second.run() }
                try await waitUntil("second ready") { second.isReady }
                for _ in 0..<5 {
                    try await LeaderElectionTests.tick(clock, sleepers: 2)
                }
                _ = try await client.configMaps.create(ConfigMap(metadata: ObjectMeta(name: "y", namespace: "default")))
                try await waitUntil("first sees y") { log.count("first:default/y") == 1 }
                #expect(log.count("second:default/x") == 0)
                #expect(log.count("second:default/y") == 0)
                #expect(!second.isLeading)

                // A graceful stop releases the lease; the second takes over on its next try.
                firstTask.cancel()
                _ = await firstTask.result
                for _ in 0..<4 where !second.isLeading {
                    try await LeaderElectionTests.tick(clock, sleepers: 1)
                    try await Task.sleep(for: .milliseconds(50))
                }
                try await waitUntil("second leads") { second.isLeading }
                try await waitUntil("second reconciles") {
                    log.count("second:default/x") == 1 && log.count("second:default/y") == 1
                }
                #expect(log.overlaps == 0)
                group.cancelAll()
            }
        } catch {
            try? await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }

    @Test func probesAndMetricsAreServed() async throws {
        let cluster = try await LocalClusterFixture.start()
        do {
            let client = try KubernetesClient(config: KubeConfig.load(kubeconfigPath: cluster.kubeconfigPath))
            let manager = try Manager(options: ManagerOptions(
                metricsBindAddress: "127.0.0.1:0", healthProbeBindAddress: "127.0.0.1:0", syncPeriod: nil),
                client: client)
            _ = manager.informer(for: Pod.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await manager.run() }
                try await waitUntil("servers") {
                    let health = await manager.healthServerPort()
                    let metrics = await manager.metricsServerPort()
                    return health != nil && metrics != nil
                }
                let health = await manager.healthServerPort()
                let metrics = await manager.metricsServerPort()
                try await waitUntil("ready") { manager.isReady }
                let (healthz, _) = try await Self.get("http://127.0.0.1:\(health!)/healthz")
                #expect(healthz == 200)
                let (readyz, _) = try await Self.get("http://127.0.0.1:\(health!)/readyz")
                #expect(readyz == 200)
                let (metricsCode, body) = try await Self.get("http://127.0.0.1:\(metrics!)/metrics")
                #expect(metricsCode == 200)
                #expect(!body.contains("not found"))
                let (missing, _) = try await Self.get("http://127.0.0.1:\(health!)/nope")
                #expect(missing == 404)
                group.cancelAll()
            }
        } catch {
            try? await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }
}
