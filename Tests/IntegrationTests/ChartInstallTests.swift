import Foundation
import RingmasterTesting
import Testing
import Yams

/// `helm template charts/ringmaster | kubectl apply -f -` against the local
/// cluster, with the real kubectl.
///
/// The local cluster stores and serves RBAC objects and Deployments without
/// enforcing or running them, so this checks what an API server accepts and
/// stores (kinds, schemas, names, namespaces), not that the operator starts.
@Suite("Helm chart install on the local cluster")
struct ChartInstallTests {
    /// Runs `body` against a fresh local cluster and shuts it down afterwards,
    /// also when `body` throws.
    static func withCluster(_ body: (LocalClusterFixture) async throws -> Void) async throws {
        let cluster = try await LocalClusterFixture.start()
        do {
            try await body(cluster)
        } catch {
            try? await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }

    static func kubectl(_ cluster: LocalClusterFixture, _ arguments: [String], input: String? = nil) async throws -> ProcessResult {
        try await ProcessRunner.run(
            try ExternalTools.kubectl(), arguments, environment: cluster.kubectlEnvironment,
            standardInput: input, timeout: .seconds(60))
    }

    /// Creates the namespaces the rendered objects live in (as
    /// `helm install --create-namespace` would), then applies them.
    static func install(_ rendered: String, documents: [[String: Any]], on cluster: LocalClusterFixture) async throws {
        let namespaces = Set(documents.compactMap(\.namespace)).sorted().map {
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: \($0)\n"
        }
        let created = try await Self.kubectl(cluster, ["apply", "-f", "-"], input: namespaces.joined(separator: "---\n"))
        #expect(created.status == 0, "\(created.combinedOutput)")
        let applied = try await Self.kubectl(cluster, ["apply", "-f", "-"], input: rendered)
        #expect(applied.status == 0, "\(applied.combinedOutput)")
    }

    @Test(
        "the rendered chart, CRD included, is accepted and stored",
        arguments: [[], ["--set", "watchNamespace=team-a"]])
    func applyAccepted(_ values: [String]) async throws {
        let rendered = try await ChartRendering.template(values + ["--include-crds"])
        let documents = try ChartRendering.documents(in: rendered)
        #expect(documents.contains { $0.kind == "CustomResourceDefinition" }, "the chart ships the TrainingJob CRD")

        try await Self.withCluster { cluster in
            try await Self.install(rendered, documents: documents, on: cluster)

            // Every object is stored under its name, in its namespace.
            let stored = try await Self.kubectl(cluster, ["get", "-f", "-", "-o", "yaml"], input: rendered)
            #expect(stored.status == 0, "\(stored.combinedOutput)")
            let list = try #require(try Yams.load(yaml: stored.standardOutput) as? [String: Any])
            let items = list["items"] as? [[String: Any]] ?? []
            let want = Set(documents.map { "\($0.kind) \($0.namespace ?? "-")/\($0.name)" })
            let got = Set(items.map { "\($0.kind) \($0.namespace ?? "-")/\($0.name)" })
            #expect(got == want)

            // The CRD it installed is served: TrainingJobs can be listed by their short name.
            let established = try await Self.kubectl(cluster, ["get", "tj", "--all-namespaces"])
            #expect(established.status == 0, "\(established.combinedOutput)")
        }
    }

    @Test("the CRD the chart installs is the one in crds/")
    func installedCRDMatches() async throws {
        let rendered = try await ChartRendering.template(["--include-crds"])
        let chartCRD = try #require(try ChartRendering.documents(in: rendered).first { $0.kind == "CustomResourceDefinition" })
        let file = ExternalTools.packageRoot.appendingPathComponent("crds/trainingjobs.ringmaster.dev.yaml")
        let repositoryCRD = try #require(
            try ChartRendering.documents(in: String(contentsOf: file, encoding: .utf8)).first { $0.kind == "CustomResourceDefinition" })

        try await Self.withCluster { cluster in
            try await Self.install(rendered, documents: try ChartRendering.documents(in: rendered), on: cluster)
            let served = try await Self.kubectl(cluster, ["get", "crd", "trainingjobs.ringmaster.dev", "-o", "yaml"])
            #expect(served.status == 0, "\(served.combinedOutput)")
            let crd = try #require(try Yams.load(yaml: served.standardOutput) as? [String: Any])
            for path in ["spec.group", "spec.scope", "spec.names.kind", "spec.names.plural"] {
                #expect("\(crd.value(at: path) ?? "nil")" == "\(repositoryCRD.value(at: path) ?? "nil")", "\(path)")
                #expect("\(chartCRD.value(at: path) ?? "nil")" == "\(repositoryCRD.value(at: path) ?? "nil")", "\(path)")
            }
            let versions = (crd.value(at: "spec.versions") as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            let expected = (repositoryCRD.value(at: "spec.versions") as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(!versions.isEmpty && versions == expected)

            // The sample NOTES.txt points to is accepted by the installed CRD.
            let sample = ExternalTools.packageRoot.appendingPathComponent("config/samples/ringmaster_v1alpha1_trainingjob.yaml").path
            let job = try await Self.kubectl(cluster, ["apply", "--namespace", "default", "-f", sample])
            #expect(job.status == 0, "\(job.combinedOutput)")
            let listed = try await Self.kubectl(cluster, ["get", "tj", "--namespace", "default", "-o", "name"])
            #expect(listed.standardOutput.contains("trainingjob.ringmaster.dev/"), "\(listed.combinedOutput)")
        }
    }
}
