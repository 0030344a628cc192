import ArgumentParser
import Collective
import Foundation
import KubeClient
import LocalCluster
import Logging
import TrainingJobAPI
import TrainingJobController

/// `ringmaster bench operator`: the real `ringmaster-operator` executable, as
/// its own process, against a local API server in this process without a
/// node agent (Pods are created, never run).
///
/// Two phases in one run, on one server:
/// 1. Operator: with the operator ready (every informer synced), N
///    TrainingJobs are created (`--concurrency` at a time) and the clock runs
///    until all N*W worker Pods exist, then until every child exists (per job
///    a Service, Secret, ServiceAccount, Role, RoleBinding,
///    PersistentVolumeClaim and W Pods). Then the operator's `/metrics` is
///    read 20 times, one after another, timing each answer, with its RSS
///    (`VmRSS`) before the first and after the last (what serving the per-job
///    series of N jobs costs); then its peak RSS (`VmHWM` of
///    `/proc/<pid>/status`), and it is stopped, so the next phase runs
///    without its watches.
/// 2. Raw: one client creates the same children of N jobs (built by the same
///    planner, without ownerReferences so that the garbage collector leaves
///    them alone) with the same concurrency shape: `--concurrency` jobs at a
///    time; per job the six other children concurrently, then its W Pods
///    concurrently, as the operator's reconciles do.
///
/// The ratio is the operator's all-objects creates/s over the raw
/// all-objects creates/s. The operator's time also pays for what raw does
/// not do: the TrainingJob creates, its status writes and Events, its
/// watches. Reconcile latency p50/p99 are estimated from the operator's
/// `controller_runtime_reconcile_time_seconds` histogram buckets.
struct BenchOperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator", abstract: "Measure how fast the operator creates the children of N TrainingJobs.")

    @Option(help: "TrainingJobs to create.") var jobs = 100
    @Option(help: "Workers per job.") var workers = 4
    @Option(help: "The operator's --max-concurrent-reconciles; also the jobs created at once, by the benchmark and by the raw phase.")
    var concurrency = 8
    @Option(name: .customLong("kube-api-qps"), help: "The operator's --kube-api-qps.") var kubeAPIQPS: Double = 100_000
    @Option(name: .customLong("kube-api-burst"), help: "The operator's --kube-api-burst.") var kubeAPIBurst = 100_000
    @Option(help: "The ringmaster-operator executable (default: next to this executable).") var `operator`: String?
    @Option(help: "Give up after this many seconds.") var timeoutSeconds = 900
    @Option(help: "Keep the data directory and operator log here instead of a removed temporary directory.")
    var dataDir: String?

    static let childKinds = 6

    func validate() throws {
        guard jobs > 0, workers > 0, concurrency > 0 else { throw ValidationError("--jobs, --workers and --concurrency must be positive") }
        guard kubeAPIQPS > 0, kubeAPIBurst > 0 else { throw ValidationError("--kube-api-qps and --kube-api-burst must be positive") }
    }

    func run() async throws {
        var quiet = Logger(label: "ringmaster.bench.operator")
        quiet.logLevel = .error
        let directory = dataDir.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("ringmaster-bench-\(UUID().uuidString.prefix(8))")
        if dataDir != nil, let existing = try? FileManager.default.contentsOfDirectory(atPath: directory.path), !existing.isEmpty {
            throw ValidationError("--data-dir \(directory.path) is not empty; the benchmark needs a fresh cluster")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { if dataDir == nil { try? FileManager.default.removeItem(at: directory) } }
        let executable = try operatorExecutable()
        let server = LocalAPIServer(logger: quiet)
        try await server.start(dataDirectory: directory.appendingPathComponent("cluster"))
        do {
            try await measure(server: server, directory: directory, executable: executable)
        } catch {
            try? await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    private func operatorExecutable() throws -> URL {
        if let path = `operator` { return URL(fileURLWithPath: path) }
        let own = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        return URL(fileURLWithPath: own).deletingLastPathComponent().appendingPathComponent("ringmaster-operator")
    }

    private func measure(server: LocalAPIServer, directory: URL, executable: URL) async throws {
        let kubeconfig = directory.appendingPathComponent("kubeconfig")
        try server.writeKubeconfig(to: kubeconfig)
        let client = try KubernetesClient(config: KubeConfig.load(kubeconfigPath: kubeconfig.path), options: ClientOptions(qps: nil))
        let crds = client.unstructured(ResourceDescriptor(
            group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition", plural: "customresourcedefinitions", namespaced: false))
        _ = try await crds.create(UnstructuredObject(TrainingJobCRD.json()))
        for namespace in ["raw", "bench"] {
            _ = try await client.namespaces.create(Namespace(metadata: ObjectMeta(name: namespace)))
        }
        let pods = jobs * workers
        let objects = jobs * (Self.childKinds + workers)
        let clock = ContinuousClock()

        // Phase 1: the operator process.
        let ports = try TCPCommunicator.freePorts(count: 2)
        let operatorProcess = try BenchOperatorProcess(
            executable: executable,
            arguments: [
                "--kubeconfig", kubeconfig.path, "--max-concurrent-reconciles", "\(concurrency)",
                "--kube-api-qps", "\(kubeAPIQPS)", "--kube-api-burst", "\(kubeAPIBurst)", "--log-level", "warning",
            ],
            metricsPort: ports[0], healthPort: ports[1], logFile: directory.appendingPathComponent("operator.log"))
        let operatorRun: OperatorRun
        do {
            try await operatorProcess.waitUntilReady(timeout: .seconds(60))
            let idleKilobytes = try operatorProcess.memoryKilobytes("VmRSS")
            operatorRun = try await runOperatorPhase(client: client, clock: clock, operatorProcess: operatorProcess, idleKilobytes: idleKilobytes)
        } catch {
            await operatorProcess.stop()
            throw error
        }
        await operatorProcess.stop()

        // Phase 2: raw creates of the same children.
        let rawSeconds = try await runRawPhase(client: client, clock: clock)
        let rawRate = Double(objects) / rawSeconds

        let podSeconds = operatorRun.podsExist.seconds
        let allSeconds = operatorRun.allExist.seconds
        let operatorRate = Double(objects) / allSeconds
        let reconcile = operatorRun.reconcileHistogram
        let queue = operatorRun.queueHistogram
        func milliseconds(_ value: PrometheusHistogram.Estimate?) -> String { value?.description ?? "n/a" }
        print("jobs=\(jobs) workers=\(workers) concurrency=\(concurrency) pods=\(pods) objects=\(objects) (per job: Service, Secret, ServiceAccount, Role, RoleBinding, PVC, \(workers) Pods)")
        print(String(format: "raw creates (same objects, same concurrency): %.2f s, %.1f objects/s", rawSeconds, rawRate))
        print(String(format: "operator: all %d pods exist after %.2f s (%.1f pods/s); all %d objects after %.2f s (%.1f objects/s)",
                     pods, podSeconds, Double(pods) / podSeconds, objects, allSeconds, operatorRate))
        print(String(format: "ratio (operator all-objects creates/s / raw all-objects creates/s): %.2f", operatorRate / rawRate))
        print("reconciles=\(Int(reconcile?.count ?? 0)) p50=\(milliseconds(reconcile?.quantile(0.5))) p99=\(milliseconds(reconcile?.quantile(0.99))) "
            + "(estimated from the operator's controller_runtime_reconcile_time_seconds buckets)")
        print("queue wait p50=\(milliseconds(queue?.quantile(0.5))) p99=\(milliseconds(queue?.quantile(0.99))) (workqueue_queue_duration_seconds buckets)")
        print("operator peak RSS (VmHWM of pid \(operatorRun.pid)): \(operatorRun.peakKilobytes / 1024) MB; RSS when ready, before the jobs: \(operatorRun.idleKilobytes / 1024) MB")
        let scrapes = operatorRun.scrapes
        let sorted = scrapes.latencies.sorted()
        print(String(format: "/metrics with %d jobs: %d bytes, %d per-job series; %d scrapes: p50 %.1f ms, max %.1f ms; operator RSS %.1f MB before the first, %.1f MB after the last (%+.1f MB)",
                     jobs, scrapes.bytes, scrapes.jobSeries, sorted.count, sorted[sorted.count / 2].seconds * 1000, sorted.last!.seconds * 1000,
                     Double(scrapes.rssBeforeKilobytes) / 1024, Double(scrapes.rssAfterKilobytes) / 1024,
                     Double(scrapes.rssAfterKilobytes - scrapes.rssBeforeKilobytes) / 1024))
        if let server = Self.ownPeakKilobytes() {
            print("benchmark process peak RSS (API server and benchmark client): \(server / 1024) MB")
        }
    }

    struct OperatorRun {
        var podsExist: Duration
        var allExist: Duration
        var reconcileHistogram: PrometheusHistogram?
        var queueHistogram: PrometheusHistogram?
        var pid: Int32
        var idleKilobytes: Int
        var peakKilobytes: Int
        var scrapes: Scrapes
    }

    /// Repeated reads of `/metrics` once every child exists.
    struct Scrapes {
        var latencies: [Duration]
        var bytes: Int
        /// Sample lines of the per-job families (`ringmaster_trainingjob_*{...trainingjob=...}`).
        var jobSeries: Int
        var rssBeforeKilobytes: Int
        var rssAfterKilobytes: Int
    }

    private func runOperatorPhase(client: KubernetesClient, clock: ContinuousClock, operatorProcess: BenchOperatorProcess,
                                  idleKilobytes: Int) async throws -> OperatorRun {
        let jobs = self.jobs
        let workers = self.workers
        let concurrency = self.concurrency
        let start = clock.now
        let (podsExist, allExist) = try await withThrowingTaskGroup(of: (Duration, Duration)?.self) { group in
            group.addTask {
                try await Self.forEach(0..<jobs, concurrency: concurrency) { index in
                    var spec = TrainingJobSpec(workers: workers)
                    spec.hyperparameters.batchSize = 16 * workers
                    _ = try await client.resource(TrainingJob.self).create(
                        TrainingJob(metadata: ObjectMeta(name: "job-\(index)", namespace: "bench"), spec: spec))
                }
                return nil
            }
            group.addTask {
                try await waitForChildren(client: client, clock: clock, start: start, operatorProcess: operatorProcess)
            }
            var result: (Duration, Duration)?
            while let next = try await group.next() {
                if let next { result = next }
            }
            return result!
        }
        let rssBefore = try operatorProcess.memoryKilobytes("VmRSS")
        var latencies: [Duration] = []
        var metrics = ""
        for _ in 0..<20 {
            let started = clock.now
            metrics = try await operatorProcess.metrics()
            latencies.append(clock.now - started)
        }
        let rssAfter = try operatorProcess.memoryKilobytes("VmRSS")
        let jobSeries = metrics.split(separator: "\n").filter { $0.hasPrefix("ringmaster_trainingjob_") && $0.contains("trainingjob=\"") }.count
        let scrapes = Scrapes(latencies: latencies, bytes: metrics.utf8.count, jobSeries: jobSeries,
                              rssBeforeKilobytes: rssBefore, rssAfterKilobytes: rssAfter)
        let peak = try operatorProcess.memoryKilobytes("VmHWM")
        return OperatorRun(
            podsExist: podsExist, allExist: allExist,
            reconcileHistogram: PrometheusHistogram.parse(metrics, name: "controller_runtime_reconcile_time_seconds", labels: ["controller": "trainingjob"]),
            queueHistogram: PrometheusHistogram.parse(metrics, name: "workqueue_queue_duration_seconds", labels: ["name": "trainingjob"]),
            pid: operatorProcess.pid, idleKilobytes: idleKilobytes, peakKilobytes: peak, scrapes: scrapes)
    }

    /// Polls the counts of every child kind in `bench` (a list with `limit=1`
    /// reads the count from `remainingItemCount`) until all exist; returns
    /// when the Pods and when all objects existed, measured from `start`.
    private func waitForChildren(client: KubernetesClient, clock: ContinuousClock, start: ContinuousClock.Instant,
                                 operatorProcess: BenchOperatorProcess) async throws -> (Duration, Duration) {
        let deadline = start + .seconds(timeoutSeconds)
        var podsExist: Duration?
        func count<Object: KubernetesResource>(_ type: Object.Type) async throws -> Int {
            let list = try await client.resource(type).list(in: .namespace("bench"), options: ListOptions(limit: 1))
            return list.items.count + Int(list.metadata.remainingItemCount ?? 0)
        }
        while clock.now < deadline {
            guard operatorProcess.process.isRunning else {
                throw ValidationError("the operator exited (status \(operatorProcess.process.terminationStatus)); see \(operatorProcess.logFile.path)")
            }
            let podCount = try await count(Pod.self)
            if podCount >= jobs * workers && podsExist == nil { podsExist = clock.now - start }
            if let podsExist {
                let counts = [
                    try await count(Service.self), try await count(Secret.self), try await count(ServiceAccount.self),
                    try await count(Role.self), try await count(RoleBinding.self), try await count(PersistentVolumeClaim.self),
                ]
                if counts.allSatisfy({ $0 >= jobs }) { return (podsExist, clock.now - start) }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ValidationError("not all children of \(jobs) jobs existed after \(timeoutSeconds) s; see \(operatorProcess.logFile.path)")
    }

    /// Creates the children of N jobs in `raw`, `concurrency` jobs at a time and
    /// each job's children concurrently. Returns the seconds taken.
    private func runRawPhase(client: KubernetesClient, clock: ContinuousClock) async throws -> Double {
        let planner = TrainingJobPlanner()
        let now = Date()
        // Per job: the first reconcile's writes (Service, Secret, RBAC, claim),
        // then, once those exist, the Pods, as the operator does.
        var plans: [[[RawWrite]]] = []
        for index in 0..<jobs {
            var spec = TrainingJobSpec(workers: workers)
            spec.hyperparameters.batchSize = 16 * workers
            let job = TrainingJob(
                metadata: ObjectMeta(name: "job-\(index)", namespace: "raw", uid: UUID().uuidString.lowercased(), resourceVersion: "1"),
                spec: spec)
            let first = try planner.plan(ObservedTrainingJob(job: job, pods: [], presentChildren: []), now: now).actions
            let second = try planner.plan(
                ObservedTrainingJob(job: job, pods: [], presentChildren: Set(ObservedTrainingJob.Child.allCases)), now: now).actions
            guard first.count == Self.childKinds, second.count == workers else {
                throw ValidationError("the planner asked for \(first.count) + \(second.count) writes for a new job, expected \(Self.childKinds) + \(workers)")
            }
            plans.append([try first.map { try Self.rawWrite($0, job: job) }, try second.map { try Self.rawWrite($0, job: job) }])
        }
        let plansByJob = plans
        let start = clock.now
        try await Self.forEach(0..<jobs, concurrency: concurrency) { index in
            for stage in plansByJob[index] {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for write in stage {
                        group.addTask { try await write(client) }
                    }
                    try await group.waitForAll()
                }
            }
        }
        return (clock.now - start).seconds
    }

    typealias RawWrite = @Sendable (KubernetesClient) async throws -> Void

    /// The create `action` asks for, of the same object without ownerReferences.
    private static func rawWrite(_ action: ReconcileAction, job: TrainingJob) throws -> RawWrite {
        func create<Object: KubernetesResource>(_ object: Object) -> RawWrite {
            var copy = object
            copy.metadata.ownerReferences = nil
            let unowned = copy
            return { client in _ = try await client.resource(Object.self).create(unowned) }
        }
        switch action {
        case .createService(let service): return create(service)
        case .createRingTokenSecret: return create(RingTokenSecretBuilder.build(job, token: RingTokenSecretBuilder.randomToken()))
        case .createServiceAccount(let account): return create(account)
        case .createRole(let role): return create(role)
        case .createRoleBinding(let binding): return create(binding)
        case .createClaim(let claim): return create(claim)
        case .createPod(let pod, _): return create(pod)
        case .deletePod, .deleteJob: throw ValidationError("a new job's plan asked for a delete")
        }
    }

    /// Runs `body` for every element of `range`, at most `concurrency` at once.
    private static func forEach(_ range: Range<Int>, concurrency: Int,
                                _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = range.lowerBound
            for _ in 0..<min(concurrency, range.count) {
                let index = next
                group.addTask { try await body(index) }
                next += 1
            }
            while try await group.next() != nil {
                if next < range.upperBound {
                    let index = next
                    group.addTask { try await body(index) }
                    next += 1
                }
            }
        }
    }

    static func ownPeakKilobytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
