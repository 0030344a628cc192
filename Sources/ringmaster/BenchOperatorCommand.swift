import ArgumentParser
import ControllerRuntime
import Foundation
import KubeClient
import LocalCluster
import Logging
import TrainingJobAPI
import TrainingJobController

/// `ringmaster bench operator`: the operator against an in-process local
/// API server without a node agent (Pods are created, never run).
///
/// Prints: the API server's raw Pod create throughput (N*W Pods created by
/// one client with the same concurrency), the time from creating N jobs to
/// all N*W worker Pods existing, the operator's creates/s and its ratio to
/// the raw rate, reconcile latency p50/p99, and the process's peak RSS
/// (VmHWM; server, operator and benchmark share the process).
struct BenchOperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator", abstract: "Measure how fast the operator creates the workers of N TrainingJobs.")

    @Option(help: "TrainingJobs to create.") var jobs = 100
    @Option(help: "Workers per job.") var workers = 4
    @Option(help: "Concurrent reconciles (and concurrent raw creates).") var concurrency = 8
    @Option(help: "Give up after this many seconds.") var timeoutSeconds = 600

    func run() async throws {
        var quiet = Logger(label: "bench")
        quiet.logLevel = .error
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringmaster-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = LocalAPIServer(logger: quiet)
        try await server.start(dataDirectory: directory)
        let kubeconfig = directory.appendingPathComponent("kubeconfig")
        try server.writeKubeconfig(to: kubeconfig)
        let client = try KubernetesClient(config: KubeConfig.load(kubeconfigPath: kubeconfig.path))
        let crds = client.unstructured(ResourceDescriptor(
            group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition", plural: "customresourcedefinitions", namespaced: false))
        let crdText = try String(contentsOf: URL(fileURLWithPath: "crds/trainingjobs.ringmaster.dev.yaml"), encoding: .utf8)
        for document in try JSONValue.documents(yaml: crdText) where document != .null {
            _ = try await crds.create(UnstructuredObject(document))
        }
        for namespace in ["raw", "bench"] {
            _ = try await client.namespaces.create(Namespace(metadata: ObjectMeta(name: namespace)))
        }
        let total = jobs * workers
        let clock = ContinuousClock()

        // Raw: the same number of Pods, created directly.
        let rawStart = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func add() {
                let index = next
                next += 1
                group.addTask {
                    _ = try await client.pods.create(Pod(
                        metadata: ObjectMeta(name: "raw-\(index)", namespace: "raw"),
                        spec: PodSpec(containers: [Container(name: "c", image: "busybox")])))
                }
            }
            for _ in 0..<min(concurrency, total) { add() }
            while try await group.next() != nil { if next < total { add() } }
        }
        let rawSeconds = (clock.now - rawStart).seconds
        let rawRate = Double(total) / rawSeconds

        let durations = DurationLog()
        let manager = try Manager(
            options: ManagerOptions(metricsBindAddress: "0", healthProbeBindAddress: "0", maxConcurrentReconciles: concurrency,
                                    kubeAPIQPS: 1_000_000, kubeAPIBurst: 1_000_000),
            client: client, logger: quiet)
        TrainingJobControllerSetup.register(
            in: manager, maxConcurrentReconciles: concurrency, logger: quiet, durationObserver: { durations.add($0) })
        let elapsed = try await withThrowingTaskGroup(of: Duration?.self) { group in
            group.addTask { try await manager.run(); return nil }
            group.addTask {
                let start = clock.now
                for index in 0..<jobs {
                    var spec = TrainingJobSpec(workers: workers)
                    spec.hyperparameters.batchSize = 16 * workers
                    _ = try await client.resource(TrainingJob.self).create(
                        TrainingJob(metadata: ObjectMeta(name: "job-\(index)", namespace: "bench"), spec: spec))
                }
                let deadline = clock.now + .seconds(timeoutSeconds)
                while clock.now < deadline {
                    let count = try await client.pods.listAll(
                        in: .namespace("bench"), options: ListOptions(labelSelector: TrainingJobLabels.jobName)).items.count
                    if count >= total { return clock.now - start }
                    try await Task.sleep(for: .milliseconds(100))
                }
                throw ValidationError("not all \(total) worker Pods existed after \(timeoutSeconds)s")
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        try await server.shutdown()
        guard let elapsed else { throw ValidationError("the operator stopped before the Pods existed") }
        let seconds = elapsed.seconds
        let rate = Double(total) / seconds
        let sorted = durations.all.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)].seconds * 1000
        }
        print("jobs=\(jobs) workers=\(workers) pods=\(total) concurrency=\(concurrency)")
        print(String(format: "raw pod creates: %.2f s, %.1f creates/s", rawSeconds, rawRate))
        print(String(format: "operator: all pods exist after %.2f s, %.1f creates/s, ratio %.2f", seconds, rate, rate / rawRate))
        print(String(format: "reconciles=%d p50=%.1f ms p99=%.1f ms", sorted.count, percentile(0.5), percentile(0.99)))
        print("peak RSS (VmHWM, whole process): \(Self.peakRSS())")
    }

    static func peakRSS() -> String {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return "unknown" }
        return text.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }.map {
            $0.dropFirst("VmHWM:".count).trimmingCharacters(in: .whitespaces)
        } ?? "unknown"
    }
}

/// Reconcile durations, appended from any task.
final class DurationLog: Sendable {
    private let values = LockedState([Duration]())
    func add(_ value: Duration) { values.withLock { $0.append(value) } }
    var all: [Duration] { values.withLock { $0 } }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
