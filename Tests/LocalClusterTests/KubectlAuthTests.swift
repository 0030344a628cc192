import Foundation
import Testing
@testable import LocalCluster
import RingmasterTesting

/// `kubectl auth` against the local cluster, as a user finds RBAC: who am I,
/// what may I do, and the refusal a real API server gives.
@Suite struct KubectlAuthTests {
    @Test func canIAnswersFromTheRolesAndRefusalsAreWordedAsKubernetesWordsThem() async throws {
        let cluster = try await LocalClusterFixture.start()
        defer { Task { try? await cluster.shutdown() } }
        let dana = try cluster.writeKubeconfig(named: "dana.kubeconfig", user: "dana", groups: ["team-a"])

        // The administrator (system:masters) may do anything.
        let admin = try await KubectlAcceptanceTests.kubectl(cluster, ["auth", "can-i", "create", "pods"])
        #expect(admin.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "yes")

        // dana is authenticated and bound to nothing yet.
        let before = try await KubectlAcceptanceTests.kubectl(
            cluster, ["--kubeconfig", dana, "auth", "can-i", "create", "deployments.apps", "-n", "default"], allowFailure: true)
        #expect(before.status != 0)
        #expect(before.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "no")
        let refused = try await KubectlAcceptanceTests.kubectl(cluster, ["--kubeconfig", dana, "get", "secrets", "-n", "kube-system"], allowFailure: true)
        #expect(refused.status != 0)
        #expect(refused.combinedOutput.contains(
            #"secrets is forbidden: User "dana" cannot list resource "secrets" in API group "" in the namespace "kube-system""#),
            "\(refused.combinedOutput)")

        // The bootstrap `edit` role, bound in one namespace, grants there and nowhere else.
        try await KubectlAcceptanceTests.kubectl(cluster, ["create", "rolebinding", "dana-edit", "--clusterrole=edit", "--user=dana", "-n", "default"])
        let after = try await KubectlAcceptanceTests.kubectl(
            cluster, ["--kubeconfig", dana, "auth", "can-i", "create", "deployments.apps", "-n", "default"])
        #expect(after.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "yes")
        let elsewhere = try await KubectlAcceptanceTests.kubectl(
            cluster, ["--kubeconfig", dana, "auth", "can-i", "create", "deployments.apps", "-n", "kube-system"], allowFailure: true)
        #expect(elsewhere.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "no")
        try await KubectlAcceptanceTests.kubectl(cluster, ["--kubeconfig", dana, "create", "configmap", "notes", "--from-literal=a=b", "-n", "default"])

        // `edit` may not grant roles: dana cannot hand herself more.
        let escalation = try await KubectlAcceptanceTests.kubectl(
            cluster, ["--kubeconfig", dana, "create", "role", "everything", "--verb=*", "--resource=*", "-n", "default"], allowFailure: true)
        #expect(escalation.status != 0)
        #expect(escalation.combinedOutput.contains("forbidden"), "\(escalation.combinedOutput)")

        let whoami = try await KubectlAcceptanceTests.kubectl(cluster, ["--kubeconfig", dana, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"])
        #expect(whoami.standardOutput == "dana")
    }
}
