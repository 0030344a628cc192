import Foundation
import RingmasterTesting
import Testing

/// Every built-in object the server returns validates against the official
/// Kubernetes 1.37 schemas (kubernetes-validate, strict: no unknown fields).
@Suite struct OfficialSchemaTests {
    static let objects = """
        apiVersion: v1
        kind: Pod
        metadata: {name: p1, labels: {role: train}}
        spec: {containers: [{name: main, image: busybox, env: [{name: A, value: "1"}], ports: [{containerPort: 29500}]}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: s1}
        spec: {clusterIP: None, selector: {role: train}, ports: [{port: 80, name: http}]}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: c1}
        data: {a: b}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: sec}
        stringData: {token: abc}
        ---
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: claim}
        spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: sa1}
        ---
        apiVersion: v1
        kind: Event
        metadata: {name: e1}
        involvedObject: {kind: Pod, name: p1, namespace: default}
        reason: Started
        message: started
        type: Normal
        ---
        apiVersion: coordination.k8s.io/v1
        kind: Lease
        metadata: {name: l1}
        spec: {holderIdentity: me, leaseDurationSeconds: 15}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: r1}
        rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: d1}
        spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: busybox}]}}}
        """

    @Test func servedBuiltInObjectsValidate() async throws {
        let cluster = try await LocalClusterFixture.start()
        try await KubectlAcceptanceTests.kubectl(cluster, ["apply", "-f", "-"], input: Self.objects)
        try await KubectlAcceptanceTests.kubectl(cluster, ["apply", "-f", ExternalTools.packageRoot.appendingPathComponent("crds").path])
        let served = try await KubectlAcceptanceTests.kubectl(cluster, [
            "get", "pods,services,configmaps,secrets,persistentvolumeclaims,serviceaccounts,events,leases,roles,deployments,namespaces,customresourcedefinitions",
            "-o", "yaml",
        ])
        let script = ExternalTools.packageRoot.appendingPathComponent("Tests/tools/validate_server_objects.py").path
        let result = try await ProcessRunner.run(try ExternalTools.python(), [script], standardInput: served.standardOutput)
        #expect(result.status == 0, "\(result.combinedOutput)")
        // 10 objects applied, 4 namespaces, 1 CRD, the namespace's default ServiceAccount.
        #expect(result.standardOutput.split(separator: "\n").filter { $0.hasPrefix("valid ") }.count == 16, "\(result.standardOutput)")
        #expect(served.standardOutput.contains("token: YWJj"))  // stringData folded into data
        try await cluster.shutdown()
    }
}
