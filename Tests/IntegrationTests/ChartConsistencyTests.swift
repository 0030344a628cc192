import Foundation
import RingmasterTesting
import Testing

/// The chart and the kustomize manifests under config/ ship the same operator:
/// the same CRD, the same permissions, the same flags and probes.
@Suite("Helm chart matches config/ and crds/")
struct ChartConsistencyTests {
    static let root = ExternalTools.packageRoot

    @Test("the chart's CRD is byte-for-byte the one in crds/")
    func crdIsTheSame() throws {
        let name = "trainingjobs.ringmaster.dev.yaml"
        let top = try Data(contentsOf: Self.root.appendingPathComponent("crds/\(name)"))
        let chart = try Data(contentsOf: Self.root.appendingPathComponent("charts/ringmaster/crds/\(name)"))
        #expect(!top.isEmpty)
        #expect(chart == top, "charts/ringmaster/crds/\(name) differs from crds/\(name): run `make manifests`")
    }

    /// The RBAC and manager manifests as kustomize renders them
    /// (`kubectl kustomize config/rbac` and `config/manager`).
    static func configDocuments() async throws -> [[String: Any]] {
        var documents: [[String: Any]] = []
        for directory in ["config/rbac", "config/manager"] {
            let result = try await ProcessRunner.run(
                try ExternalTools.kubectl(), ["kustomize", Self.root.appendingPathComponent(directory).path], timeout: .seconds(60))
            guard result.status == 0 else {
                throw ChartRenderingError(command: "kubectl kustomize \(directory)", output: result.combinedOutput)
            }
            documents += try ChartRendering.documents(in: result.standardOutput)
        }
        return documents
    }

    @Test("the chart grants the operator exactly what config/rbac grants", arguments: [[], ["--set", "watchNamespace=team-a"]])
    func rbacEqualsConfig(_ values: [String]) async throws {
        let config = try await Self.configDocuments()
        let configGrants = try ChartRBACAudit.grants(in: config, operatorAccount: try ChartRBACAudit.operatorContainer(of: config).account)
        let chartGrants = try await ChartRBACAudit.chartGrants(values)

        #expect(!configGrants.manager.isEmpty)
        let onlyInChart = chartGrants.manager.subtracting(configGrants.manager).sorted()
        let onlyInConfig = configGrants.manager.subtracting(chartGrants.manager).sorted()
        #expect(onlyInChart.isEmpty, "granted by the chart, not by config/rbac: \(onlyInChart)")
        #expect(onlyInConfig.isEmpty, "granted by config/rbac, not by the chart: \(onlyInConfig)")
        // Workers get a per-job Role from the operator; neither ships a standing one.
        #expect(configGrants.worker.isEmpty, "config/rbac grants roles to others than the operator: \(configGrants.worker.sorted())")
    }

    /// The flag names of an argument list (`--name=value` and `--name`).
    static func flagNames(_ args: [String]) -> Set<String> {
        Set(args.filter { $0.hasPrefix("--") }.map { String($0.split(separator: "=", maxSplits: 1)[0]) })
    }

    /// A probe's path and port number, a named port resolved through the container's ports.
    static func probe(_ name: String, of container: [String: Any]) -> String {
        let path = container.value(at: "\(name).httpGet.path") as? String ?? "<none>"
        let port = container.value(at: "\(name).httpGet.port")
        if let named = port as? String {
            let ports = container["ports"] as? [[String: Any]] ?? []
            if let number = ports.first(where: { $0["name"] as? String == named })?["containerPort"] {
                return "\(path):\(number)"
            }
        }
        return "\(path):\(port ?? "<none>")"
    }

    @Test("the chart's Deployment passes every flag config/manager passes, with the same probes")
    func deploymentMatchesConfig() async throws {
        let config = try ChartRBACAudit.operatorContainer(of: try await Self.configDocuments()).container
        let chart = try ChartRBACAudit.operatorContainer(of: try ChartRendering.documents(in: try await ChartRendering.template())).container
        let configFlags = Self.flagNames(config["args"] as? [String] ?? [])
        let chartFlags = Self.flagNames(chart["args"] as? [String] ?? [])
        #expect(!configFlags.isEmpty)
        #expect(configFlags.isSubset(of: chartFlags), "missing in the chart: \(configFlags.subtracting(chartFlags).sorted())")
        for probe in ["livenessProbe", "readinessProbe"] {
            #expect(Self.probe(probe, of: chart) == Self.probe(probe, of: config), "\(probe)")
        }
        for path in ["securityContext.allowPrivilegeEscalation", "securityContext.readOnlyRootFilesystem"] {
            #expect(config.value(at: path) as? Bool == chart.value(at: path) as? Bool, "\(path)")
        }
    }
}
