import Foundation
import RingmasterTesting
import Testing

/// A set of chart values under test and what it must render.
struct ChartScenario: Sendable, CustomTestStringConvertible {
    var name: String
    var values: [String]
    var replicas: Int
    var watchNamespace: String?
    var serviceMonitor: Bool
    var prometheusRule = false
    var dashboard = false

    var testDescription: String { name }

    static let all: [ChartScenario] = [
        ChartScenario(name: "defaults", values: [], replicas: 1, watchNamespace: nil, serviceMonitor: false),
        ChartScenario(
            name: "namespaced", values: ["--set", "watchNamespace=team-a"],
            replicas: 1, watchNamespace: "team-a", serviceMonitor: false),
        ChartScenario(
            name: "metrics and ServiceMonitor", values: ["--set", "metrics.service.enabled=true", "--set", "metrics.serviceMonitor.enabled=true"],
            replicas: 1, watchNamespace: nil, serviceMonitor: true),
        ChartScenario(name: "two replicas", values: ["--set", "replicaCount=2"], replicas: 2, watchNamespace: nil, serviceMonitor: false),
        ChartScenario(
            name: "ServiceMonitor, alerts and dashboard",
            values: ["--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.prometheusRule.enabled=true",
                     "--set", "grafana.dashboard.enabled=true"],
            replicas: 1, watchNamespace: nil, serviceMonitor: true, prometheusRule: true, dashboard: true),
    ]
}

@Suite("Helm chart")
struct ChartTests {
    @Test("helm lint --strict passes", arguments: ChartScenario.all)
    func lintStrict(_ scenario: ChartScenario) async throws {
        let result = try await ChartRendering.helm(
            ["lint", "--strict", ChartRendering.chartDirectory.path, "--namespace", ChartRendering.releaseNamespace] + scenario.values)
        #expect(result.status == 0, "\(result.combinedOutput)")
        #expect(result.standardOutput.contains("1 chart(s) linted, 0 chart(s) failed"), "\(result.combinedOutput)")
        #expect(!result.standardOutput.contains("[WARNING]"), "\(result.standardOutput)")
    }

    @Test("every rendered document validates against the official Kubernetes schemas", arguments: ChartScenario.all)
    func validatesAgainstKubernetesSchemas(_ scenario: ChartScenario) async throws {
        let rendered = try await ChartRendering.template(scenario.values)
        let script = ExternalTools.packageRoot.appendingPathComponent("Tests/tools/chart_validate.py").path
        let result = try await ProcessRunner.run(try ExternalTools.python(), [script], standardInput: rendered, timeout: .seconds(60))
        #expect(result.status == 0, "\(result.combinedOutput)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any], "\(result.combinedOutput)")
        #expect((report["errors"] as? [Any])?.isEmpty == true, "\(report["errors"] ?? "")")
        let documents = try #require(report["documents"] as? [[String: Any]])
        #expect(documents.count == (try ChartRendering.documents(in: rendered)).count)
        // Only the Prometheus Operator kinds are checked by the script's own
        // schemas; everything else by the Kubernetes schemas.
        let custom = documents.filter { $0["schema"] as? String == "custom" }.compactMap { $0["kind"] as? String }
        #expect(Set(custom) == Set((scenario.serviceMonitor ? ["ServiceMonitor"] : []) + (scenario.prometheusRule ? ["PrometheusRule"] : [])))
        #expect(custom.count == Set(custom).count)
        let version = try #require(report["kubernetesVersion"] as? String)
        #expect(version.hasPrefix("1."), "validated against Kubernetes \(version)")
    }

    @Test("renders the objects each mode needs, and no others", arguments: ChartScenario.all)
    func renderedKinds(_ scenario: ChartScenario) async throws {
        let documents = try ChartRendering.documents(in: try await ChartRendering.template(scenario.values))
        let kinds = Dictionary(grouping: documents, by: \.kind).mapValues(\.count)
        #expect(kinds["Deployment"] == 1)
        #expect(kinds["Service"] == 1)
        #expect(kinds["ServiceMonitor"] == (scenario.serviceMonitor ? 1 : nil))
        #expect(kinds["PrometheusRule"] == (scenario.prometheusRule ? 1 : nil))
        #expect(kinds["ConfigMap"] == (scenario.dashboard ? 1 : nil))
        #expect(kinds["PodDisruptionBudget"] == (scenario.replicas > 1 ? 1 : nil))
        if let namespace = scenario.watchNamespace {
            // Namespaced mode grants nothing cluster-wide.
            #expect(kinds["ClusterRole"] == nil && kinds["ClusterRoleBinding"] == nil, "\(kinds)")
            // The manager Role in the watched namespace, leader election in the release's.
            let roles = documents.filter { $0.kind == "Role" }
            #expect(Set(roles.map { "\($0.namespace ?? "")/\($0.name)" }) == [
                "\(namespace)/ringmaster-manager", "\(ChartRendering.releaseNamespace)/ringmaster-leader-election",
            ])
        } else {
            #expect(documents.filter { $0.kind == "ClusterRole" }.map(\.name) == ["ringmaster-manager"])
            #expect(documents.filter { $0.kind == "ClusterRoleBinding" }.map(\.name) == ["ringmaster-manager"])
            #expect(documents.filter { $0.kind == "Role" }.map(\.name) == ["ringmaster-leader-election"])
        }
        // Worker identities are created per job by the operator, not by the chart.
        #expect(documents.filter { $0.kind == "ServiceAccount" }.map(\.name) == ["ringmaster"])
    }

    @Test("every object carries the standard labels", arguments: ChartScenario.all)
    func standardLabels(_ scenario: ChartScenario) async throws {
        let documents = try ChartRendering.documents(in: try await ChartRendering.template(scenario.values))
        #expect(!documents.isEmpty)
        for document in documents {
            let labels = document.labels
            #expect(labels["app.kubernetes.io/name"] == "ringmaster", "\(document.kind) \(document.name)")
            #expect(labels["app.kubernetes.io/instance"] == ChartRendering.releaseName, "\(document.kind) \(document.name)")
            #expect(labels["app.kubernetes.io/version"] == "0.1.0", "\(document.kind) \(document.name)")
            #expect(labels["app.kubernetes.io/component"] == "operator", "\(document.kind) \(document.name)")
            #expect(labels["app.kubernetes.io/part-of"] == "ringmaster", "\(document.kind) \(document.name)")
            #expect(labels["app.kubernetes.io/managed-by"] == "Helm", "\(document.kind) \(document.name)")
            #expect(labels["helm.sh/chart"] == "ringmaster-0.1.0", "\(document.kind) \(document.name)")
        }
    }

    @Test("commonLabels and podLabels reach the objects and the Pod, not the selector")
    func extraLabels() async throws {
        let documents = try ChartRendering.documents(in: try await ChartRendering.template([
            "--set", "commonLabels.team=ml-platform", "--set", "podLabels.tier=control",
            "--set", "podAnnotations.example\\.com/owner=ml",
        ]))
        for document in documents {
            #expect(document.labels["team"] == "ml-platform", "\(document.kind) \(document.name)")
        }
        let deployment = try #require(documents.first { $0.kind == "Deployment" })
        let podLabels = try #require(deployment.value(at: "spec.template.metadata.labels") as? [String: Any])
        #expect(podLabels["team"] as? String == "ml-platform")
        #expect(podLabels["tier"] as? String == "control")
        let annotations = try #require(deployment.value(at: "spec.template.metadata.annotations") as? [String: Any])
        #expect(annotations["example.com/owner"] as? String == "ml")
        let selector = try #require(deployment.value(at: "spec.selector.matchLabels") as? [String: Any])
        #expect(Set(selector.keys) == ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component"])
    }

    @Test("the Deployment runs the operator with its flags, probes and the restricted profile")
    func deployment() async throws {
        let documents = try ChartRendering.documents(in: try await ChartRendering.template(["--set", "watchNamespace=team-a"]))
        let deployment = try #require(documents.first { $0.kind == "Deployment" })
        let pod = try #require(deployment.value(at: "spec.template.spec") as? [String: Any])
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        let args = try #require(container["args"] as? [String])
        #expect(args == [
            "--metrics-bind-address=:8080",
            "--health-probe-bind-address=:8081",
            "--leader-elect",
            "--leader-election-namespace=ringmaster-system",
            "--namespace=team-a",
            "--max-concurrent-reconciles=4",
            "--kube-api-qps=50",
            "--kube-api-burst=100",
            "--log-level=info",
            "--log-format=json",
            "--worker-image=ghcr.io/ringmaster-dev/ringmaster-worker:0.1.0",
        ])
        #expect(container["image"] as? String == "ghcr.io/ringmaster-dev/ringmaster-operator:0.1.0")
        #expect(container.value(at: "livenessProbe.httpGet.path") as? String == "/healthz")
        #expect(container.value(at: "readinessProbe.httpGet.path") as? String == "/readyz")
        #expect(container.value(at: "livenessProbe.httpGet.port") as? String == "health")
        let ports = try #require(container["ports"] as? [[String: Any]])
        #expect(ports.contains { $0["name"] as? String == "health" && $0["containerPort"] as? Int == 8081 })
        #expect(ports.contains { $0["name"] as? String == "metrics" && $0["containerPort"] as? Int == 8080 })

        // The restricted Pod Security Standard.
        #expect(pod.value(at: "securityContext.runAsNonRoot") as? Bool == true)
        #expect(pod.value(at: "securityContext.seccompProfile.type") as? String == "RuntimeDefault")
        #expect(container.value(at: "securityContext.allowPrivilegeEscalation") as? Bool == false)
        #expect(container.value(at: "securityContext.readOnlyRootFilesystem") as? Bool == true)
        #expect(container.value(at: "securityContext.capabilities.drop") as? [String] == ["ALL"])
        // With a read-only root, /tmp is a writable emptyDir.
        let mounts = try #require(container["volumeMounts"] as? [[String: Any]])
        let tmp = try #require(mounts.first { $0["mountPath"] as? String == "/tmp" })
        let volumes = try #require(pod["volumes"] as? [[String: Any]])
        #expect(volumes.contains { $0["name"] as? String == tmp["name"] as? String && $0["emptyDir"] != nil })
    }

    @Test("image digests, extra flags and leader election off render as asked")
    func overrides() async throws {
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let documents = try ChartRendering.documents(in: try await ChartRendering.template([
            "--set", "image.digest=\(digest)", "--set", "worker.image.tag=1.2.3",
            "--set", "leaderElection.enabled=false", "--set", "operator.logFormat=text",
            "--set", "operator.extraArgs[0]=--example-flag=1",
        ]))
        let deployment = try #require(documents.first { $0.kind == "Deployment" })
        let container = try #require((deployment.value(at: "spec.template.spec.containers") as? [[String: Any]])?.first)
        #expect(container["image"] as? String == "ghcr.io/ringmaster-dev/ringmaster-operator@\(digest)")
        let args = try #require(container["args"] as? [String])
        #expect(args.contains("--worker-image=ghcr.io/ringmaster-dev/ringmaster-worker:1.2.3"))
        #expect(args.contains("--log-format=text"))
        #expect(args.last == "--example-flag=1")
        #expect(!args.contains("--leader-elect"))
        #expect(!args.contains { $0.hasPrefix("--namespace") }, "cluster-wide mode passes no --namespace")
        #expect(!documents.contains { $0.name.hasSuffix("leader-election") })
    }

    @Test("the dashboard ConfigMap is labelled for Grafana's sidecar and holds dashboards/ringmaster.json as it is")
    func dashboardConfigMap() async throws {
        let documents = try ChartRendering.documents(in: try await ChartRendering.template([
            "--set", "grafana.dashboard.enabled=true", "--set", "grafana.dashboard.annotations.grafana_folder=ML",
        ]))
        let map = try #require(documents.first { $0.kind == "ConfigMap" })
        #expect(map.labels["grafana_dashboard"] == "1")
        #expect((map.value(at: "metadata.annotations") as? [String: Any])?["grafana_folder"] as? String == "ML")
        let embedded = try #require((map.value(at: "data") as? [String: Any])?["ringmaster.json"] as? String)
        let file = try String(contentsOf: ChartRendering.chartDirectory.appendingPathComponent("dashboards/ringmaster.json"), encoding: .utf8)
        #expect(embedded == file.trimmingCharacters(in: .newlines))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(embedded.utf8)) as? [String: Any])
        #expect(dashboard["uid"] as? String == "ringmaster-overview")
        #expect(((dashboard["panels"] as? [Any])?.count ?? 0) > 10)
    }

    @Test("the PrometheusRule selects the operator by the ServiceMonitor's job label and the release namespace")
    func prometheusRuleSelectors() async throws {
        let documents = try ChartRendering.documents(in: try await ChartRendering.template([
            "--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.prometheusRule.enabled=true",
            "--set", "metrics.prometheusRule.stalledAfterSeconds=1800", "--set", "metrics.prometheusRule.alertLabels.team=ml",
        ]))
        let rule = try #require(documents.first { $0.kind == "PrometheusRule" })
        let groups = try #require(rule.value(at: "spec.groups") as? [[String: Any]])
        let rules = groups.flatMap { $0["rules"] as? [[String: Any]] ?? [] }
        let alerts = Dictionary(uniqueKeysWithValues: rules.compactMap { rule in (rule["alert"] as? String).map { ($0, rule) } })
        #expect(Set(alerts.keys) == [
            "RingmasterTrainingJobStalled", "RingmasterTrainingJobFailed", "RingmasterTrainingJobRestartsClimbing",
            "RingmasterOperatorDown", "RingmasterOperatorNotLeading", "RingmasterOperatorReconcileErrors",
        ])
        #expect(alerts["RingmasterTrainingJobStalled"]?["expr"] as? String
                == #"ringmaster_trainingjob_progress_age_seconds{job="ringmaster"} > 1800"#)
        #expect(alerts["RingmasterOperatorDown"]?["expr"] as? String
                == #"absent(up{job="ringmaster", namespace="\#(ChartRendering.releaseNamespace)"} == 1)"#)
        for (name, alert) in alerts {
            #expect((alert["labels"] as? [String: Any])?["team"] as? String == "ml", "\(name)")
            #expect((alert["annotations"] as? [String: Any])?["summary"] != nil, "\(name)")
        }
        // Without leader election there is no Lease to lose.
        let single = try ChartRendering.documents(in: try await ChartRendering.template([
            "--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.prometheusRule.enabled=true",
            "--set", "leaderElection.enabled=false",
        ]))
        let singleRules = (single.first { $0.kind == "PrometheusRule" }?.value(at: "spec.groups") as? [[String: Any]] ?? [])
            .flatMap { $0["rules"] as? [[String: Any]] ?? [] }.compactMap { $0["alert"] as? String }
        #expect(!singleRules.contains("RingmasterOperatorNotLeading") && singleRules.count == 5)
    }

    @Test("every value in values.yaml has a comment")
    func valuesDocumented() throws {
        let text = try String(contentsOf: ChartRendering.chartDirectory.appendingPathComponent("values.yaml"), encoding: .utf8)
        // Kubernetes objects given as defaults (their fields are Kubernetes' own).
        let opaque: Set<String> = ["resources", "podSecurityContext", "securityContext"]
        let keyLine = try Regex(#"^(\s*)([A-Za-z][\w.-]*):(.*)$"#)
        var ancestors: [(indent: Int, key: String)] = []
        var previous = ""
        var leaves = 0
        var undocumented: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if let match = line.wholeMatch(of: keyLine) {
                let indent = match.output[1].substring?.count ?? 0
                let key = String(match.output[2].substring ?? "")
                let rest = (match.output[3].substring ?? "").trimmingCharacters(in: .whitespaces)
                while let last = ancestors.last, last.indent >= indent { ancestors.removeLast() }
                let path = (ancestors.map(\.key) + [key]).joined(separator: ".")
                let isLeaf = !rest.isEmpty
                if isLeaf && !ancestors.contains(where: { opaque.contains($0.key) }) {
                    leaves += 1
                    if !previous.trimmingCharacters(in: .whitespaces).hasPrefix("#") { undocumented.append(path) }
                }
                ancestors.append((indent, key))
            }
            if !line.trimmingCharacters(in: .whitespaces).isEmpty { previous = line }
        }
        #expect(leaves > 40, "found \(leaves) values")
        #expect(undocumented.isEmpty, "values without a comment: \(undocumented)")
    }

    @Test("the operator holds every permission of the per-job worker Role, without escalate or bind", arguments: [[], ["--set", "watchNamespace=team-a"]])
    func operatorCanGrantWorkerRole(_ values: [String]) async throws {
        // expand(rules:) throws on wildcards, so no rule hides escalate or bind.
        let grants = try await ChartRBACAudit.chartGrants(values)
        // What the operator's per-job Role grants the workers.
        let workerRole: Set<RBACPermission> = [
            RBACPermission(apiGroup: "ringmaster.dev", resource: "trainingjobs/status", verb: "get"),
            RBACPermission(apiGroup: "ringmaster.dev", resource: "trainingjobs/status", verb: "patch"),
        ]
        #expect(workerRole.isSubset(of: grants.manager), "RBAC escalation prevention would refuse the worker Role")
        for resource in ["serviceaccounts", "roles", "rolebindings"] {
            #expect(grants.manager.contains { $0.resource == resource && $0.verb == "create" }, "create \(resource)")
        }
        #expect(!grants.manager.contains { ["escalate", "bind", "impersonate"].contains($0.verb) })
        #expect(grants.worker.isEmpty, "the chart renders no roles besides the operator's: \(grants.worker.sorted())")
    }
}

/// Wrong values are refused by values.schema.json (or the chart's own checks)
/// before anything reaches a cluster.
@Suite("Helm chart values schema")
struct ChartValuesSchemaTests {
    struct BadValues: Sendable, CustomTestStringConvertible {
        var yaml: String
        var message: String
        /// False for checks only the templates make (`fail`), which helm lint
        /// logs instead of failing on.
        var lintRejects = true
        var testDescription: String { yaml.replacingOccurrences(of: "\n", with: " ") }
    }

    static let cases: [BadValues] = [
        BadValues(yaml: "replicaCount: \"two\"\n", message: "at '/replicaCount': got string, want integer"),
        BadValues(yaml: "replicaCount: 0\n", message: "at '/replicaCount'"),
        BadValues(yaml: "image:\n  pullPolicy: Sometimes\n", message: "at '/image/pullPolicy'"),
        BadValues(yaml: "operator:\n  logFormat: xml\n", message: "at '/operator/logFormat'"),
        BadValues(yaml: "operator:\n  logLevel: verbose\n", message: "at '/operator/logLevel'"),
        BadValues(yaml: "operator:\n  maxConcurrentReconciles: 0\n", message: "at '/operator/maxConcurrentReconciles'"),
        BadValues(yaml: "watchNamespace: Team_A\n", message: "at '/watchNamespace'"),
        BadValues(yaml: "replicas: 2\n", message: "additional properties 'replicas' not allowed"),
        BadValues(yaml: "metrics:\n  port: 70000\n", message: "at '/metrics/port'"),
        BadValues(yaml: "image:\n  digest: latest\n", message: "at '/image/digest'"),
        // Combinations (the schema's if/then rules).
        BadValues(yaml: "replicaCount: 2\nleaderElection:\n  enabled: false\n", message: "at '/leaderElection/enabled': value must be true"),
        BadValues(
            yaml: "metrics:\n  service:\n    enabled: false\n  serviceMonitor:\n    enabled: true\n",
            message: "at '/metrics/service/enabled': value must be true"),
        BadValues(
            yaml: "metrics:\n  prometheusRule:\n    enabled: true\n",
            message: "at '/metrics/serviceMonitor/enabled': value must be true"),
        BadValues(yaml: "metrics:\n  prometheusRule:\n    stalledAfterSeconds: 0\n", message: "at '/metrics/prometheusRule/stalledAfterSeconds'"),
        BadValues(yaml: "metrics:\n  prometheusRule:\n    restartsWindow: hourly\n", message: "at '/metrics/prometheusRule/restartsWindow'"),
        BadValues(yaml: "grafana:\n  dashboard:\n    label: \"\"\n", message: "at '/grafana/dashboard/label'"),
        // A comparison JSON Schema cannot express, made by the templates.
        BadValues(
            yaml: "replicaCount: 2\npodDisruptionBudget:\n  minAvailable: 2\n",
            message: "podDisruptionBudget.minAvailable must be less than replicaCount", lintRejects: false),
    ]

    @Test("helm template and helm lint reject a wrong value with the schema's message", arguments: cases)
    func rejected(_ bad: BadValues) async throws {
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("ringmaster-chart-values-\(UUID().uuidString).yaml")
        try bad.yaml.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }

        let template = try await ChartRendering.helm(
            ["template", ChartRendering.releaseName, ChartRendering.chartDirectory.path, "-f", file.path])
        #expect(template.status != 0, "helm template accepted:\n\(bad.yaml)")
        #expect(template.standardError.contains(bad.message), "\(template.standardError)")

        let lint = try await ChartRendering.helm(["lint", "--strict", ChartRendering.chartDirectory.path, "-f", file.path])
        if bad.lintRejects {
            #expect(lint.status != 0, "helm lint accepted:\n\(bad.yaml)")
            #expect(lint.combinedOutput.contains(bad.message), "\(lint.combinedOutput)")
        } else {
            // helm lint reports a template `fail` as a log line, not an error.
            #expect(lint.combinedOutput.contains(bad.message), "\(lint.combinedOutput)")
        }
    }
}
