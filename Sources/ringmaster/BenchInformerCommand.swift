import ArgumentParser
import ControllerRuntime
import Foundation
import KubeClient
import LocalCluster
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `ringmaster bench informer`: list and watch throughput of an `Informer`
/// of Pods, and the memory its cache takes per object.
///
/// The local API server runs in a child process (this executable again, with
/// the hidden `--serve-api` option), so that the resident set size measured
/// here is that of the informer's process only: the client, the informer and
/// its store. The Pods resemble the operator's worker Pods (labels, an owner
/// reference, one container with command, environment, resources, ports and
/// mounts, two volumes, tolerations) and are created before the informer
/// starts. Their owner is a ConfigMap (so that no CRD is needed); the
/// server's garbage collector scans every 10 s instead of every 200 ms.
///
/// Prints:
/// - `list`: objects/s from starting the informer to `hasSynced` (paged list
///   of every Pod, decoded and stored);
/// - `watch`: objects/s from starting to merge-patch every Pod (with
///   `--concurrency` writers) to the cache holding every patched version,
///   and the writers' own rate for comparison;
/// - memory: the growth of VmRSS from before the informer started to after it
///   synced (and again after the watch replaced every object), divided by
///   the number of objects, next to the size of one Pod encoded as JSON.
///   `malloc_trim(0)` runs before each reading so that freed list pages are
///   not counted.
struct BenchInformerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "informer",
        abstract: "Measure an informer's list and watch throughput (objects/s) and its memory per cached Pod.")

    @Option(help: "Pods to create, list and watch.")
    var objects: Int = 10_000

    @Option(help: "Concurrent writers creating and patching the Pods.")
    var concurrency: Int = 8

    @Option(help: "Give up after this many seconds.")
    var timeoutSeconds: Int = 900

    /// Internal: serve the local API server with its state in this directory
    /// until the parent process exits (the benchmark's child process).
    @Option(help: .hidden)
    var serveAPI: String?

    func validate() throws {
        guard objects > 0, concurrency > 0, timeoutSeconds > 0 else {
            throw ValidationError("--objects, --concurrency and --timeout-seconds must be positive")
        }
    }

    func run() async throws {
        if let serveAPI {
            try await Self.serveAPIServer(directory: URL(fileURLWithPath: serveAPI), eventWindow: max(10_000, 2 * objects))
            return
        }
        var quiet = Logger(label: "ringmaster.bench.informer")
        quiet.logLevel = .error
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ringmaster-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try Self.startServerProcess(directory: directory, objects: objects)
        defer {
            if server.isRunning { server.terminate() }
            server.waitUntilExit()
        }
        let kubeconfig = try await Self.waitForKubeconfig(directory.appendingPathComponent("kubeconfig"), server: server)
        let client = try KubernetesClient(
            config: kubeconfig, options: ClientOptions(qps: nil, requestTimeout: .seconds(120), logger: quiet))
        let pods = client.pods
        let namespace = "bench"
        let total = objects
        let writers = min(concurrency, total)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(timeoutSeconds)

        _ = try await client.namespaces.create(Namespace(metadata: ObjectMeta(name: namespace)))
        // The Pods' owner must exist, or the server's garbage collector deletes them.
        let owner = try await client.configMaps.create(ConfigMap(metadata: ObjectMeta(name: "trainer", namespace: namespace)))
        let template = try Self.podTemplate(ownerUID: owner.metadata.uid ?? "")
        let createSeconds = try await clock.measure {
            try await Self.forEach(total, concurrency: writers) { index in
                var pod = template
                pod.metadata.name = "trainer-worker-\(index)"
                pod.metadata.namespace = namespace
                pod.metadata.labels?["ringmaster.dev/replica-index"] = "\(index)"
                pod.spec?.hostname = "trainer-worker-\(index)"
                _ = try await pods.create(pod)
            }
        }.seconds
        let sample = try await pods.get("trainer-worker-0", in: namespace)
        let encodedBytes = try JSONEncoder().encode(sample).count

        // List: from starting the informer to hasSynced.
        let rssBefore = try Self.residentKilobytes()
        let informer = Informer(
            client: pods, namespace: .namespace(namespace), resyncPeriod: nil, logger: quiet)
        let figures = try await withThrowingTaskGroup(of: Figures?.self) { group in
            let listStart = clock.now
            group.addTask { try await informer.run(); return nil }
            group.addTask {
                await informer.waitForSync()
                let listSeconds = (clock.now - listStart).seconds
                guard informer.store.count == total else {
                    throw ValidationError("the informer synced \(informer.store.count) Pods, expected \(total)")
                }
                let rssSynced = try Self.residentKilobytes()

                // Watch: patch every Pod while the informer watches, until the
                // cache holds every patched version.
                let watchStart = clock.now
                let writeSeconds = try await clock.measure {
                    try await Self.forEach(total, concurrency: writers) { index in
                        _ = try await pods.patch(
                            "trainer-worker-\(index)", in: namespace,
                            .merge(["metadata": ["labels": ["bench.ringmaster.dev/round": "1"]]]))
                    }
                }.seconds
                while informer.store.list(label: "bench.ringmaster.dev/round", value: "1").count < total {
                    guard clock.now < deadline else {
                        throw ValidationError("the cache did not reflect all \(total) patches within \(timeoutSeconds)s")
                    }
                    try await Task.sleep(for: .milliseconds(10))
                }
                let watchSeconds = (clock.now - watchStart).seconds
                let rssWatched = try Self.residentKilobytes()
                return Figures(
                    listSeconds: listSeconds, watchSeconds: watchSeconds, writeSeconds: writeSeconds,
                    rssSynced: rssSynced, rssWatched: rssWatched)
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let figures else { throw ValidationError("the informer stopped before it synced") }

        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        let perObject = { (rss: Int) in Double(rss - rssBefore) * 1024 / Double(total) }
        print("objects=\(total) kind=Pod writers=\(writers) build=\(build) (API server in a child process)")
        print(String(format: "seed creates: %.2f s, %.1f objects/s", createSeconds, Double(total) / createSeconds))
        print(String(format: "list: %.2f s from start to hasSynced, %.1f objects/s", figures.listSeconds,
                     Double(total) / figures.listSeconds))
        print(String(format: "watch: %.2f s from the first patch to the cache reflecting all, %.1f objects/s (writers alone: %.1f patches/s)",
                     figures.watchSeconds, Double(total) / figures.watchSeconds, Double(total) / figures.writeSeconds))
        print("pod encoded as JSON: \(encodedBytes) bytes")
        print(String(format: "informer memory: %.0f bytes/object after sync, %.0f bytes/object after the watch (VmRSS %d kB before, %d kB synced, %d kB after watch)",
                     perObject(figures.rssSynced), perObject(figures.rssWatched), rssBefore, figures.rssSynced, figures.rssWatched))
    }

    private struct Figures: Sendable {
        var listSeconds: Double
        var watchSeconds: Double
        var writeSeconds: Double
        var rssSynced: Int
        var rssWatched: Int
    }

    /// Runs `body(0..<count)` with at most `concurrency` calls at once.
    private static func forEach(
        _ count: Int, concurrency: Int, _ body: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(concurrency, count) {
                let index = next
                group.addTask { try await body(index) }
                next += 1
            }
            while try await group.next() != nil {
                if next < count {
                    let index = next
                    group.addTask { try await body(index) }
                    next += 1
                }
            }
        }
    }

    /// A worker Pod as the operator writes them, without name and index.
    private static func podTemplate(ownerUID: String) throws -> Pod {
        let json = #"""
            {
              "apiVersion": "v1", "kind": "Pod",
              "metadata": {
                "labels": {
                  "app.kubernetes.io/managed-by": "ringmaster", "ringmaster.dev/job-name": "trainer",
                  "ringmaster.dev/role": "worker", "ringmaster.dev/replica-index": "0"
                },
                "annotations": {"ringmaster.dev/ring-size": "4", "ringmaster.dev/spec-hash": "5f1c9e2ab7d04c31"},
                "ownerReferences": [{
                  "apiVersion": "v1", "kind": "ConfigMap", "name": "trainer",
                  "uid": "0b8f6a52-5c3e-4f7b-9d0e-6a1f2c3d4e5f", "controller": true, "blockOwnerDeletion": true
                }]
              },
              "spec": {
                "restartPolicy": "Never", "subdomain": "trainer-workers", "serviceAccountName": "default",
                "terminationGracePeriodSeconds": 30, "enableServiceLinks": false,
                "containers": [{
                  "name": "worker", "image": "ghcr.io/ringmaster/ringmaster-worker:0.1.0", "imagePullPolicy": "IfNotPresent",
                  "command": ["ringmaster-worker"],
                  "args": ["--job", "trainer", "--workers", "4", "--epochs", "20", "--batch-size", "128"],
                  "env": [
                    {"name": "RINGMASTER_JOB", "value": "trainer"},
                    {"name": "RINGMASTER_WORLD_SIZE", "value": "4"},
                    {"name": "RINGMASTER_PORT", "value": "29500"},
                    {"name": "RINGMASTER_CHECKPOINT_DIR", "value": "/checkpoints"},
                    {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                    {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}
                  ],
                  "resources": {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
                  "ports": [{"name": "ring", "containerPort": 29500, "protocol": "TCP"}],
                  "volumeMounts": [
                    {"name": "checkpoints", "mountPath": "/checkpoints"},
                    {"name": "scratch", "mountPath": "/tmp"}
                  ],
                  "terminationMessagePath": "/dev/termination-log"
                }],
                "volumes": [
                  {"name": "checkpoints", "persistentVolumeClaim": {"claimName": "trainer-checkpoints"}},
                  {"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}}
                ],
                "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
              }
            }
            """#
        var pod = try JSONDecoder().decode(Pod.self, from: Data(json.utf8))
        pod.metadata.ownerReferences?[0].uid = ownerUID
        return pod
    }

    // MARK: The API server's process

    /// Starts this executable with `--serve-api <directory>`; its output goes to standard error.
    private static func startServerProcess(directory: URL, objects: Int) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["bench", "informer", "--objects", "\(objects)", "--serve-api", directory.path]
        process.standardOutput = FileHandle.standardError
        process.standardError = FileHandle.standardError
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits (up to 60 s) for the child to write a kubeconfig that loads.
    private static func waitForKubeconfig(_ url: URL, server: Process) async throws -> KubeConfig {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while clock.now < deadline {
            guard server.isRunning else {
                throw ValidationError("the API server process exited with status \(server.terminationStatus)")
            }
            if FileManager.default.fileExists(atPath: url.path), let config = try? KubeConfig.load(kubeconfigPath: url.path) {
                return config
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ValidationError("the API server process wrote no kubeconfig within 60 s")
    }

    /// The child's work: serve until the parent process is gone.
    private static func serveAPIServer(directory: URL, eventWindow: Int) async throws {
        var logger = Logger(label: "ringmaster.bench.informer.apiserver")
        logger.logLevel = .warning
        let parent = getppid()
        let server = LocalAPIServer(options: LocalAPIServer.Options(eventWindow: eventWindow, garbageCollectionInterval: .seconds(10)), logger: logger)
        try await server.start(dataDirectory: directory)
        // Written last, under a temporary name and renamed, so that the parent
        // never reads a partial file.
        let partial = directory.appendingPathComponent("kubeconfig.partial")
        try server.writeKubeconfig(to: partial)
        try FileManager.default.moveItem(at: partial, to: directory.appendingPathComponent("kubeconfig"))
        while getppid() == parent {
            try await Task.sleep(for: .milliseconds(500))
        }
        try await server.shutdown()
    }

    // MARK: Memory

    /// Calls glibc's `malloc_trim(0)` (looked up at run time: the Glibc module
    /// does not export it) so that heap freed after the list is not counted.
    private static func releaseFreedHeap() {
        #if canImport(Glibc)
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }

    /// VmRSS of this process in kB, after returning freed heap pages to the system.
    private static func residentKilobytes() throws -> Int {
        releaseFreedHeap()
        return try ProcessMemory.kilobytes("VmRSS")
    }
}
