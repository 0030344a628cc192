import Foundation
import KubeClient
import LocalCluster
import RingmasterTesting
import Testing
import TrainingJobAPI
import TrainingJobController

/// Least privilege, proved by the server that refuses: the tokens a real
/// worker Pod and the operator hold, used over TLS against the local
/// cluster, may do what their Roles grant and nothing else.
@Suite(.serialized) struct LeastPrivilegeTests {
    /// A worker's projected ServiceAccount token (the file the node agent
    /// wrote for its Pod) patches its own job's status, and is refused
    /// another job's status, the job itself and Secrets.
    @Test func aWorkersTokenReachesItsOwnJobsStatusAndNothingElse() async throws {
        let harness = try await OperatorHarness.start()
        do {
            try await harness.create(OperatorHarness.smallJob("mine", holdAfterStep: 3))
            try await harness.create(OperatorHarness.smallJob("theirs", holdAfterStep: 3))
            try await harness.waitUntilHeld("mine", atStep: 3)
            let pod = try #require(try await harness.pods(of: "mine").first { $0.metadata.labels?[TrainingJobLabels.replicaIndex] == "0" })
            #expect(pod.spec?.serviceAccountName == "mine-worker")
            let tokenFile = try Layout(dataDirectory: harness.cluster.dataDirectory)
                .serviceAccountDirectory(namespace: "default", pod: pod.metadata.name ?? "")
                .appendingPathComponent("token")
            let token = try String(contentsOf: tokenFile, encoding: .utf8)
            let worker = try KubernetesClient(config: harness.cluster.kubeConfig(token: token), options: ClientOptions(qps: nil))
            let jobs = worker.resource(TrainingJob.self)

            let patch = Patch.merge(["status": ["message": "reported by rank 0"]])
            let patched = try await jobs.patchStatus("mine", in: "default", patch)
            #expect(patched.status?.message == "reported by rank 0")
            #expect(try await jobs.getStatus("mine", in: "default").metadata.name == "mine")

            try await Self.expectForbidden { _ = try await jobs.patchStatus("theirs", in: "default", patch) }
            try await Self.expectForbidden { _ = try await jobs.get("mine", in: "default") }
            try await Self.expectForbidden { _ = try await jobs.patch("mine", in: "default", .merge(["spec": ["workers": 1]])) }
            try await Self.expectForbidden { _ = try await worker.secrets.get("mine-ring-token", in: "default") }
            try await Self.expectForbidden { _ = try await worker.secrets.list(in: .namespace("default")) }
            try await Self.expectForbidden { _ = try await worker.pods.list(in: .namespace("default")) }
            try harness.releaseHold("mine")
            try harness.releaseHold("theirs")
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    /// The operator's client holds config/rbac's grants: it lists jobs and
    /// Pods in every namespace, and is refused what the ClusterRole leaves
    /// out (Nodes, ClusterRoles, another component's Lease namespace).
    @Test func theOperatorsTokenHoldsConfigRBACAndNoMore() async throws {
        let harness = try await OperatorHarness.start()
        do {
            let operatorClient = harness.operatorClient
            _ = try await operatorClient.resource(TrainingJob.self).list(in: .allNamespaces)
            _ = try await operatorClient.pods.list(in: .allNamespaces)
            let nodes = operatorClient.unstructured(ResourceDescriptor(group: "", version: "v1", kind: "Node", plural: "nodes", namespaced: false))
            try await Self.expectForbidden { _ = try await nodes.list(in: .allNamespaces) }
            let clusterRoles = operatorClient.unstructured(ResourceDescriptor(
                group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false))
            try await Self.expectForbidden { _ = try await clusterRoles.list(in: .allNamespaces) }
            try await Self.expectForbidden { _ = try await operatorClient.leases.list(in: .namespace("kube-system")) }
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    static func expectForbidden(_ operation: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        do {
            try await operation()
            Issue.record("expected 403 Forbidden, the request was allowed", sourceLocation: sourceLocation)
        } catch let error as KubernetesAPIError {
            #expect(error.code == 403, "\(error)", sourceLocation: sourceLocation)
        }
    }
}
