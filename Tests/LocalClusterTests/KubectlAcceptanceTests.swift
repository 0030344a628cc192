import Foundation
import KubeClient
@testable import LocalCluster
import RingmasterTesting
import Testing

/// Real kubectl 1.37 against the local API server.
@Suite struct KubectlAcceptanceTests {
    /// Runs kubectl against `cluster`; fails the test on a non-zero exit unless `allowFailure`.
    @discardableResult
    static func kubectl(_ cluster: LocalClusterFixture, _ arguments: [String], input: String? = nil, allowFailure: Bool = false,
                        environment: [String: String] = [:], timeout: Duration = .seconds(60)) async throws -> ProcessResult {
        let result = try await ProcessRunner.run(
            try ExternalTools.kubectl(), arguments, environment: cluster.kubectlEnvironment.merging(environment) { $1 },
            standardInput: input,
            currentDirectory: ExternalTools.packageRoot, timeout: timeout)
        if !allowFailure {
            #expect(result.status == 0, "kubectl \(arguments.joined(separator: " ")) failed: \(result.combinedOutput)")
        }
        return result
    }

    static let crdPath = ExternalTools.packageRoot.appendingPathComponent("crds/trainingjobs.ringmaster.dev.yaml").path
    static let samplePath = ExternalTools.packageRoot.appendingPathComponent("config/samples/ringmaster_v1alpha1_trainingjob.yaml").path

    static func startWithCRD() async throws -> LocalClusterFixture {
        let cluster = try await LocalClusterFixture.start()
        try await kubectl(cluster, ["apply", "-f", ExternalTools.packageRoot.appendingPathComponent("crds").path])
        return cluster
    }

    @Test func applyGetAndServerPrintedColumns() async throws {
        let cluster = try await Self.startWithCRD()
        try await Self.kubectl(cluster, ["apply", "-f", Self.samplePath])
        let table = try await Self.kubectl(cluster, ["get", "tj"])
        #expect(table.standardOutput.contains("NAME"))
        #expect(table.standardOutput.contains("PHASE"))
        #expect(table.standardOutput.contains("WORKERS"))
        #expect(table.standardOutput.contains("fashion-mnist"))
        let yaml = try await Self.kubectl(cluster, ["get", "trainingjob", "fashion-mnist", "-o", "yaml"])
        #expect(yaml.standardOutput.contains("kind: TrainingJob"))
        #expect(yaml.standardOutput.contains("workers: 2"))
        #expect(yaml.standardOutput.contains("uid:"))
        // Re-applying unchanged is a no-op; applying a change patches.
        let again = try await Self.kubectl(cluster, ["apply", "-f", Self.samplePath])
        #expect(again.standardOutput.contains("unchanged"))
        try await cluster.shutdown()
    }

    @Test func explainShowsSchemaDescriptions() async throws {
        let cluster = try await Self.startWithCRD()
        // kubectl's explain does not refresh its discovery cache for short
        // names (it cached discovery before the CRD existed); any `get` does.
        try await Self.kubectl(cluster, ["get", "trainingjobs"])
        let explain = try await Self.kubectl(cluster, ["explain", "tj.spec"])
        #expect(explain.standardOutput.contains("workers"))
        #expect(explain.standardOutput.contains("DESCRIPTION"))
        #expect(explain.standardOutput.contains("Number of worker Pods"))
        try await cluster.shutdown()
    }

    /// Before its CRD is installed, kubectl looks for the kind in /openapi/v3,
    /// then in the protobuf /openapi/v2, and then says what is missing.
    @Test func applyingAKindWhoseCRDIsMissingSaysSo() async throws {
        let cluster = try await LocalClusterFixture.start()
        let result = try await Self.kubectl(cluster, ["apply", "-f", Self.samplePath], allowFailure: true)
        #expect(result.status != 0)
        #expect(result.standardError.contains(#"no matches for kind "TrainingJob" in version "ringmaster.dev/v1alpha1""#),
                "\(result.standardError)")
        #expect(result.standardError.contains("ensure CRDs are installed first"), "\(result.standardError)")
        try await cluster.shutdown()
    }

    /// kubectl caches discovery per address for hours. A local cluster that
    /// starts on a port where another one (with the CRD) served forgets that
    /// cache, so kubectl still says the CRD is missing rather than sending a
    /// request for a resource this server does not have.
    @Test func aServerOnAReusedPortForgetsWhatKubectlCachedThere() async throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("kubectl-cache-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: cache) }
        let sharedCache = ["KUBECACHEDIR": cache.path]

        let earlier = try await Self.startWithCRD()
        let port = try #require(earlier.baseURL.port)
        try await Self.kubectl(earlier, ["get", "trainingjobs"], environment: sharedCache)
        let cached = try #require(KubectlDiscoveryCache.directory(for: earlier.baseURL, environment: sharedCache))
        #expect(FileManager.default.fileExists(atPath: cached.path), "kubectl cached discovery elsewhere than \(cached.path)")
        try await earlier.shutdown()

        let data = FileManager.default.temporaryDirectory.appendingPathComponent("ringmaster-local-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: data) }
        let kubeconfig = data.appendingPathComponent("kubeconfig")
        let ready = AsyncStream<URL>.makeStream()
        let service = LocalAPIServerService(
            server: LocalAPIServer(), port: port, dataDirectory: data, kubeconfig: kubeconfig,
            kubectlEnvironment: sharedCache, onReady: { ready.continuation.yield($0) })
        let serving = Task { try await service.run() }
        defer { serving.cancel() }
        var readyURLs = ready.stream.makeAsyncIterator()
        let url = try #require(await readyURLs.next())
        #expect(url.port == port)
        #expect(!FileManager.default.fileExists(atPath: cached.path))

        let result = try await ProcessRunner.run(
            try ExternalTools.kubectl(), ["apply", "-f", Self.samplePath],
            environment: sharedCache.merging(["KUBECONFIG": kubeconfig.path]) { $1 }, timeout: .seconds(60))
        #expect(result.status != 0)
        #expect(result.standardError.contains(#"no matches for kind "TrainingJob""#), "\(result.standardError)")
        serving.cancel()
        _ = try? await serving.value
    }

    /// `--output=plaintext-openapiv2` reads the protobuf /openapi/v2: the
    /// CRD's schema, descriptions and all, comes through it.
    @Test func explainFromTheProtobufOpenAPIV2Document() async throws {
        let cluster = try await Self.startWithCRD()
        try await Self.kubectl(cluster, ["get", "trainingjobs"])
        let explain = try await Self.kubectl(cluster, ["explain", "trainingjobs.spec.workers", "--output=plaintext-openapiv2"])
        #expect(explain.standardOutput.contains("FIELD:    workers <integer>"), "\(explain.standardOutput)")
        #expect(explain.standardOutput.contains("Number of worker Pods"), "\(explain.standardOutput)")
        let spec = try await Self.kubectl(cluster, ["explain", "trainingjobs.spec", "--output=plaintext-openapiv2"])
        #expect(spec.standardOutput.contains("hyperparameters"), "\(spec.standardOutput)")
        try await cluster.shutdown()
    }

    @Test func invalidTrainingJobIsRejectedWithTheSchemaMessage() async throws {
        let cluster = try await Self.startWithCRD()
        let bad = """
            apiVersion: ringmaster.dev/v1alpha1
            kind: TrainingJob
            metadata: {name: bad}
            spec: {workers: 0}
            """
        let result = try await Self.kubectl(cluster, ["apply", "-f", "-"], input: bad, allowFailure: true)
        #expect(result.status != 0)
        #expect(result.standardError.contains("spec.workers: Invalid value: 0: spec.workers in body should be greater than or equal to 1"),
                "\(result.standardError)")
        let unknown = "apiVersion: ringmaster.dev/v1alpha1\nkind: TrainingJob\nmetadata: {name: typo}\nspec: {workerz: 2}\n"
        let strict = try await Self.kubectl(cluster, ["apply", "-f", "-"], input: unknown, allowFailure: true)
        #expect(strict.status != 0)
        #expect(strict.standardError.contains("unknown field \"spec.workerz\""), "\(strict.standardError)")
        try await cluster.shutdown()
    }

    @Test func describeShowsEvents() async throws {
        let cluster = try await Self.startWithCRD()
        try await Self.kubectl(cluster, ["apply", "-f", Self.samplePath])
        let uid = try await Self.kubectl(cluster, ["get", "tj", "fashion-mnist", "-o", "jsonpath={.metadata.uid}"]).standardOutput
        let event = """
            apiVersion: v1
            kind: Event
            metadata: {name: fashion-mnist.1, namespace: default}
            involvedObject: {apiVersion: ringmaster.dev/v1alpha1, kind: TrainingJob, name: fashion-mnist, namespace: default, uid: \(uid)}
            reason: WorkersCreated
            message: created 2 worker pods
            type: Normal
            source: {component: ringmaster-operator}
            firstTimestamp: "2026-01-01T00:00:00Z"
            lastTimestamp: "2026-01-01T00:00:00Z"
            count: 1
            """
        try await Self.kubectl(cluster, ["create", "-f", "-"], input: event)
        let describe = try await Self.kubectl(cluster, ["describe", "tj", "fashion-mnist"])
        #expect(describe.standardOutput.contains("Events:"))
        #expect(describe.standardOutput.contains("WorkersCreated"))
        #expect(describe.standardOutput.contains("created 2 worker pods"))
        try await cluster.shutdown()
    }

    @Test func getPodsByLabel() async throws {
        let cluster = try await LocalClusterFixture.start()
        let pods = ["a": "train", "b": "train", "c": "serve"].map { name, role in
            "apiVersion: v1\nkind: Pod\nmetadata: {name: \(name), labels: {role: \(role)}}\nspec: {containers: [{name: main, image: busybox}]}\n"
        }.joined(separator: "---\n")
        try await Self.kubectl(cluster, ["apply", "-f", "-"], input: pods)
        let train = try await Self.kubectl(cluster, ["get", "pods", "-l", "role=train", "-o", "name"])
        #expect(train.standardOutput.split(separator: "\n").sorted() == ["pod/a", "pod/b"])
        let table = try await Self.kubectl(cluster, ["get", "pods", "-l", "role in (serve)"])
        #expect(table.standardOutput.contains("READY"))
        #expect(table.standardOutput.contains("STATUS"))
        #expect(table.standardOutput.contains("c "))
        try await cluster.shutdown()
    }

    @Test func watchPrintsUpdates() async throws {
        let cluster = try await Self.startWithCRD()
        try await Self.kubectl(cluster, ["apply", "-f", Self.samplePath])
        async let watch = Self.kubectl(cluster, ["get", "tj", "-w", "--request-timeout=4s"], allowFailure: true, timeout: .seconds(6))
        try await Task.sleep(for: .seconds(1))
        try await Self.kubectl(cluster, ["patch", "tj", "fashion-mnist", "--subresource=status", "--type=merge",
                                         "-p", #"{"status":{"phase":"Running"}}"#])
        let output = try await watch.standardOutput
        #expect(output.contains("fashion-mnist"))
        #expect(output.contains("Running"), "\(output)")
        try await cluster.shutdown()
    }

    @Test func waitForCondition() async throws {
        let cluster = try await Self.startWithCRD()
        try await Self.kubectl(cluster, ["apply", "-f", Self.samplePath])
        async let wait = Self.kubectl(cluster, ["wait", "tj/fashion-mnist", "--for=condition=Running", "--timeout=10s"], allowFailure: true)
        try await Task.sleep(for: .milliseconds(500))
        let status = #"{"status":{"conditions":[{"type":"Running","status":"True","reason":"AllWorkersRunning","message":"ok","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}"#
        try await Self.kubectl(cluster, ["patch", "tj", "fashion-mnist", "--subresource=status", "--type=merge", "-p", status])
        let result = try await wait
        #expect(result.status == 0, "\(result.combinedOutput)")
        #expect(result.standardOutput.contains("condition met"))
        try await cluster.shutdown()
    }

    @Test func patchTypes() async throws {
        let cluster = try await LocalClusterFixture.start()
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: main, image: busybox, env: [{name: A, value: '1'}]}, {name: side, image: busybox}]}\n"
        try await Self.kubectl(cluster, ["create", "-f", "-"], input: pod)
        try await Self.kubectl(cluster, ["patch", "pod", "p", "--type=merge", "-p", #"{"metadata":{"labels":{"x":"1"}}}"#])
        try await Self.kubectl(cluster, ["patch", "pod", "p", "--type=json", "-p", #"[{"op":"add","path":"/metadata/labels/y","value":"2"}]"#])
        try await Self.kubectl(cluster, ["patch", "pod", "p", "--type=strategic", "-p", #"{"spec":{"containers":[{"name":"main","env":[{"name":"B","value":"2"}]}]}}"#])
        let result = try await Self.kubectl(cluster, ["get", "pod", "p", "-o", "json"])
        let object = try JSONDecoder().decode(JSONValue.self, from: Data(result.standardOutput.utf8))
        #expect(object["metadata"]?["labels"]?["x"]?.stringValue == "1")
        #expect(object["metadata"]?["labels"]?["y"]?.stringValue == "2")
        let containers = object["spec"]?["containers"]?.arrayValue ?? []
        #expect(containers.count == 2)
        #expect(containers.first?["env"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["A", "B"])
        try await cluster.shutdown()
    }

    @Test func deletingTheOwnerCollectsChildren() async throws {
        let cluster = try await Self.startWithCRD()
        try await Self.kubectl(cluster, ["apply", "-f", Self.samplePath])
        let uid = try await Self.kubectl(cluster, ["get", "tj", "fashion-mnist", "-o", "jsonpath={.metadata.uid}"]).standardOutput
        let child = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: fashion-mnist-worker-0
              ownerReferences: [{apiVersion: ringmaster.dev/v1alpha1, kind: TrainingJob, name: fashion-mnist, uid: \(uid), controller: true, blockOwnerDeletion: true}]
            spec: {containers: [{name: worker, image: busybox}]}
            """
        try await Self.kubectl(cluster, ["create", "-f", "-"], input: child)
        try await Self.kubectl(cluster, ["delete", "tj", "fashion-mnist", "--wait=true", "--timeout=10s"])
        var gone = false
        for _ in 0..<50 where !gone {
            let get = try await Self.kubectl(cluster, ["get", "pod", "fashion-mnist-worker-0"], allowFailure: true)
            gone = get.standardError.contains("NotFound")
            if !gone { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(gone)
        try await cluster.shutdown()
    }
}
