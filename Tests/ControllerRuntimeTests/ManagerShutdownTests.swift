import ControllerRuntime
import Foundation
import KubeClient
import RingmasterTesting
import Testing

/// A manager stops when asked even while a controller still waits for an
/// informer that cannot sync: the kind is not served (its CRD is not
/// installed yet), so every list answers 404.
@Suite struct ManagerShutdownTests {
    struct IgnoringReconciler: Reconciler {
        func reconcile(_ request: ReconcileRequest) async throws -> ReconcileResult { .done }
    }

    @Test func aManagerWaitingForAKindThatIsNotServedStopsWhenCancelled() async throws {
        let cluster = try await LocalClusterFixture.start()
        do {
            let client = try KubernetesClient(config: KubeConfig.load(kubeconfigPath: cluster.kubeconfigPath))
            let manager = try Manager(options: ManagerOptions(
                metricsBindAddress: "0", healthProbeBindAddress: "0", syncPeriod: nil), client: client)
            let widgets = manager.informer(for: ResourceDescriptor(
                group: "absent.example.com", version: "v1", kind: "Widget", plural: "widgets", namespaced: true))
            manager.add(Controller(name: "widgets", reconciler: IgnoringReconciler(), sources: [.primary(widgets)]))
            let run = Task { try await manager.run() }
            try await waitUntil("the informer tried to list widgets") { widgets.requestCounts.lists >= 1 }
            #expect(!widgets.hasSynced)
            run.cancel()
            // Bounded, so that a manager that never stops fails the test instead of hanging it.
            let stopped = await withTaskGroup(of: Bool.self) { group in
                group.addTask { _ = await run.result; return true }
                group.addTask { try? await Task.sleep(for: .seconds(60)); return false }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            #expect(stopped, "the manager did not stop within 60 s of being cancelled")
        } catch {
            try? await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }
}
