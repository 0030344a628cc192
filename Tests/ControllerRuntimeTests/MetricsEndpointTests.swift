import AsyncHTTPClient
import ControllerRuntime
import Foundation
import KubeClient
import NIOCore
import Metrics
import Prometheus
import RingmasterTesting
import Testing

/// The metric names and labels dashboards expect, read back through a real
/// manager's `/metrics` endpoint after reconciles that succeed and fail.
@Suite struct MetricsEndpointTests {
    /// swift-metrics can be bootstrapped once per process: every test that
    /// reads metrics shares this registry.
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// Succeeds for every ConfigMap but `broken`, for which it always throws
    /// (a retriable error, so the work queue retries it).
    struct SplitReconciler: Reconciler {
        let log: ControllerTests.Log
        func reconcile(_ request: ReconcileRequest) async throws -> ReconcileResult {
            _ = log.begin(request.description)
            defer { log.end(request.description) }
            if request.name == "broken" { throw KubeClientError(.transport, "scripted failure") }
            return .done
        }
    }

    /// One sample of the Prometheus text format: `name{label="value",...} value`.
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    @Test func everyDocumentedNameIsServedWithItsLabels() async throws {
        let registry = Self.registry
        let cluster = try await LocalClusterFixture.start()
        do {
            let client = try KubernetesClient(config: KubeConfig.load(kubeconfigPath: cluster.kubeconfigPath),
                                              options: ClientOptions(qps: nil))
            let controllerName = "metrics-endpoint"
            let leaseName = "metrics-endpoint-lease"
            let manager = try Manager(
                options: ManagerOptions(
                    metricsBindAddress: "127.0.0.1:0", healthProbeBindAddress: "0", leaderElect: true,
                    leaderElectionID: leaseName, leaderElectionNamespace: "default",
                    leaderElectionIdentity: "metrics-test", namespace: "default", syncPeriod: nil),
                client: client, registry: registry)
            let log = ControllerTests.Log()
            manager.add(Controller(
                name: controllerName, reconciler: SplitReconciler(log: log),
                sources: [.primary(manager.informer(for: ConfigMap.self))]))
            _ = try await client.configMaps.create(ConfigMap(metadata: ObjectMeta(name: "fine", namespace: "default")))
            _ = try await client.configMaps.create(ConfigMap(metadata: ObjectMeta(name: "broken", namespace: "default")))

            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await manager.run() }
                // One success, and a failure retried at least twice (a third
                // attempt starts only after the second one was fully counted).
                try await waitUntil("reconciles") {
                    log.count("default/fine") >= 1 && log.count("default/broken") >= 3
                }
                try await waitUntil("metrics server") { await manager.metricsServerPort() != nil }
                let port = await manager.metricsServerPort()!
                @Sendable func scrape() async throws -> (HTTPClientResponse, String) {
                    let response = try await HTTPClient.shared.execute(
                        HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(5))
                    return (response, String(buffer: try await response.body.collect(upTo: 16 << 20)))
                }
                // The success is counted just after the reconciler returns: wait until it shows.
                try await waitUntil("the success is counted") {
                    let (_, body) = try await scrape()
                    return try Self.parse(body).contains {
                        $0.name == "controller_runtime_reconcile_total" && $0.labels["controller"] == controllerName
                            && $0.labels["result"] == "success" && $0.value >= 1
                    }
                }
                let (response, body) = try await scrape()
                group.cancelAll()

                #expect(response.status.code == 200)
                #expect(response.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
                let samples = try Self.parse(body)
                func value(_ name: String, _ labels: [String: String]) -> Double? {
                    samples.first { sample in
                        sample.name == name && labels.allSatisfy { key, value in sample.labels[key] == value }
                    }?.value
                }
                func type(_ family: String) -> String? {
                    body.split(separator: "\n").first { $0.hasPrefix("# TYPE \(family) ") }
                        .map { String($0.split(separator: " ").last!) }
                }

                // controller_runtime_reconcile_total{controller,result}
                #expect(type("controller_runtime_reconcile_total") == "counter")
                #expect((value("controller_runtime_reconcile_total", ["controller": controllerName, "result": "success"]) ?? 0) >= 1)
                #expect((value("controller_runtime_reconcile_total", ["controller": controllerName, "result": "error"]) ?? 0) >= 2)
                // controller_runtime_reconcile_errors_total{controller}
                #expect(type("controller_runtime_reconcile_errors_total") == "counter")
                #expect((value("controller_runtime_reconcile_errors_total", ["controller": controllerName]) ?? 0) >= 2)
                // controller_runtime_reconcile_time_seconds{controller}: a histogram in seconds.
                #expect(type("controller_runtime_reconcile_time_seconds") == "histogram")
                #expect((value("controller_runtime_reconcile_time_seconds_count", ["controller": controllerName]) ?? 0) >= 2)
                #expect(value("controller_runtime_reconcile_time_seconds_sum", ["controller": controllerName]) != nil)
                #expect(value("controller_runtime_reconcile_time_seconds_bucket", ["controller": controllerName, "le": "+Inf"])
                        == value("controller_runtime_reconcile_time_seconds_count", ["controller": controllerName]))
                // Work queue metrics, labelled by the queue's name (the controller's).
                #expect(type("workqueue_depth") == "gauge")
                #expect((value("workqueue_depth", ["name": controllerName]) ?? -1) >= 0)
                #expect(type("workqueue_adds_total") == "counter")
                #expect((value("workqueue_adds_total", ["name": controllerName]) ?? 0) >= 3)
                #expect(type("workqueue_retries_total") == "counter")
                #expect((value("workqueue_retries_total", ["name": controllerName]) ?? 0) >= 1)
                #expect(type("workqueue_queue_duration_seconds") == "histogram")
                #expect((value("workqueue_queue_duration_seconds_count", ["name": controllerName]) ?? 0) >= 3)
                // leader_election_master_status{name}: this manager leads.
                #expect(type("leader_election_master_status") == "gauge")
                #expect(value("leader_election_master_status", ["name": leaseName]) == 1)
                // rest_client_requests_total{code,method}: the creates above and the informer's list.
                #expect(type("rest_client_requests_total") == "counter")
                #expect((value("rest_client_requests_total", ["code": "201", "method": "POST"]) ?? 0) >= 2)
                #expect((value("rest_client_requests_total", ["code": "200", "method": "GET"]) ?? 0) >= 1)
                for sample in samples where sample.name == "rest_client_requests_total" {
                    #expect(Set(sample.labels.keys) == ["code", "method"], "labels of \(sample)")
                }
            }
        } catch {
            try? await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }

    /// Reconciles nothing (no ConfigMap carries its label): the series must
    /// be there anyway, at zero, as controller-runtime initialises them.
    struct IdleReconciler: Reconciler {
        func reconcile(_ request: ReconcileRequest) async throws -> ReconcileResult { .done }
    }

    @Test func controllerSeriesStartAtZeroBeforeAnyReconcile() async throws {
        let registry = Self.registry
        let cluster = try await LocalClusterFixture.start()
        do {
            let client = try KubernetesClient(config: KubeConfig.load(kubeconfigPath: cluster.kubeconfigPath),
                                              options: ClientOptions(qps: nil))
            let controllerName = "idle-at-start"
            let manager = try Manager(
                options: ManagerOptions(
                    metricsBindAddress: "127.0.0.1:0", healthProbeBindAddress: "0", namespace: "default", syncPeriod: nil),
                client: client, registry: registry)
            manager.add(Controller(
                name: controllerName, reconciler: IdleReconciler(),
                sources: [.primary(manager.informer(for: ConfigMap.self, labelSelector: "example.com/none=at-all"))],
                maxConcurrentReconciles: 3))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await manager.run() }
                try await waitUntil("metrics server") { await manager.metricsServerPort() != nil }
                let port = await manager.metricsServerPort()!
                func scrape() async throws -> String {
                    let response = try await HTTPClient.shared.execute(
                        HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(5))
                    return String(buffer: try await response.body.collect(upTo: 16 << 20))
                }
                // The controller sets its series as it starts, before its informer syncs.
                try await waitUntil("the controller started") {
                    guard manager.isReady else { return false }
                    return try await scrape().contains("controller_runtime_max_concurrent_reconciles{controller=\"\(controllerName)\"}")
                }
                let body = try await scrape()
                group.cancelAll()
                let samples = try Self.parse(body).filter { $0.labels["controller"] == controllerName }
                func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
                    samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
                }
                for result in ["success", "error", "requeue", "requeue_after"] {
                    #expect(value("controller_runtime_reconcile_total", ["result": result]) == 0, "result=\(result)")
                }
                #expect(value("controller_runtime_reconcile_errors_total") == 0)
                #expect(value("controller_runtime_terminal_reconcile_errors_total") == 0)
                #expect(value("controller_runtime_max_concurrent_reconciles") == 3)
                #expect(value("controller_runtime_active_workers") == 0)
                #expect(value("controller_runtime_reconcile_time_seconds_count") == 0)
                // Each family is described.
                for family in ["controller_runtime_reconcile_total", "controller_runtime_reconcile_errors_total", "workqueue_depth"] {
                    #expect(body.contains("# HELP \(family) "), "no help for \(family)")
                }
            }
        } catch {
            try? await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }

    /// Parses the sample lines of the Prometheus text format (comments skipped).
    static func parse(_ text: String) throws -> [Sample] {
        struct ParseError: Error, CustomStringConvertible {
            var line: String
            var description: String { "not a Prometheus sample line: \(line)" }
        }
        var samples: [Sample] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.isEmpty {
            var name = Substring(line)
            var labels: [String: String] = [:]
            let rest: Substring
            if let open = line.firstIndex(of: "{") {
                guard let close = line.lastIndex(of: "}") else { throw ParseError(line: String(line)) }
                name = line[..<open]
                var cursor = line.index(after: open)
                while cursor < close {
                    guard let equals = line[cursor..<close].firstIndex(of: "="),
                          line[line.index(after: equals)] == "\"" else { throw ParseError(line: String(line)) }
                    let key = line[cursor..<equals].trimmingCharacters(in: CharacterSet(charactersIn: ", "))
                    var index = line.index(equals, offsetBy: 2)
                    var value = ""
                    while index < close, line[index] != "\"" {
                        if line[index] == "\\" { index = line.index(after: index) }
                        value.append(line[index])
                        index = line.index(after: index)
                    }
                    guard index < close else { throw ParseError(line: String(line)) }
                    labels[key] = value
                    cursor = line.index(after: index)
                }
                rest = line[line.index(after: close)...]
            } else {
                guard let space = line.firstIndex(of: " ") else { throw ParseError(line: String(line)) }
                name = line[..<space]
                rest = line[space...]
            }
            guard let valueText = rest.split(separator: " ").first, let value = Double(valueText)
                    ?? (valueText == "+Inf" ? .infinity : nil) else { throw ParseError(line: String(line)) }
            samples.append(Sample(name: String(name), labels: labels, value: value))
        }
        return samples
    }
}
