import Foundation
import KubeClient
import Logging
import RingmasterTesting
import Testing
@testable import LocalCluster

/// A local API server with a node agent running against it, for the node
/// agent's end-to-end tests. The image `test/shell` (any tag) runs `/bin/sh`.
struct NodeAgentCluster {
    let cluster: LocalClusterFixture
    let client: KubernetesClient

    static let shellImage = "example.com/test/shell:1"

    static func configuration(for cluster: LocalClusterFixture, gpus: Int64 = 0) -> NodeAgentConfiguration {
        var mapping = ImageMapping(rules: [ImageMapping.Rule(repositoryName: "shell", executable: "/bin/sh")])
        // On a Pod network, `python` images run on the host, with their command as given.
        if cluster.podNetwork != nil { mapping = mapping.adding([ImageMapping.Rule(repositoryName: "python", executable: nil)]) }
        var capacity = ResourceAmounts()
        capacity["cpu"] = 4000
        capacity["memory"] = 8 * 1024 * 1024 * 1024 * 1000
        capacity[NodeAgentConfiguration.gpuResource] = gpus * 1000
        return NodeAgentConfiguration(
            capacity: capacity, dataDirectory: cluster.dataDirectory,
            imageMapping: mapping, podNetwork: cluster.podNetwork,
            initialRestartBackoff: .milliseconds(200), maximumRestartBackoff: .seconds(1),
            retryInterval: .milliseconds(500), shutdownGracePeriod: .seconds(2))
    }

    /// Starts a cluster and a node agent, runs `body`, then stops both.
    /// With `podNetwork`, each Pod runs in namespaces of its own on a Pod network.
    static func run(
        gpus: Int64 = 0, podNetwork: Bool = false, _ body: (NodeAgentCluster) async throws -> Void
    ) async throws {
        let cluster = try await LocalClusterFixture.start(podNetwork: podNetwork)
        let client = try KubernetesClient(config: cluster.kubeConfig, options: ClientOptions(qps: nil))
        var logger = Logger(label: "test.node-agent")
        logger.logLevel = .warning
        let agent = NodeAgent(configuration: configuration(for: cluster, gpus: gpus), client: client, logger: logger)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await agent.run() }
                defer { group.cancelAll() }
                try await body(NodeAgentCluster(cluster: cluster, client: client))
            }
        } catch {
            try? await cluster.shutdown()
            throw error
        }
        try await cluster.shutdown()
    }

    /// A pod running `/bin/sh -c script` with the test image.
    static func shellPod(
        _ name: String, script: String, restartPolicy: String = "Never", gracePeriod: Int64? = nil,
        resources: ResourceRequirements? = nil, env: [EnvVar]? = nil, mounts: [VolumeMount]? = nil,
        volumes: [Volume]? = nil, hostname: String? = nil, subdomain: String? = nil
    ) -> Pod {
        Pod(
            metadata: ObjectMeta(name: name, namespace: "default"),
            spec: PodSpec(
                containers: [Container(
                    name: "main", image: shellImage, args: ["-c", script], env: env, resources: resources,
                    volumeMounts: mounts)],
                restartPolicy: restartPolicy, hostname: hostname, subdomain: subdomain, volumes: volumes,
                terminationGracePeriodSeconds: gracePeriod))
    }

    func create(_ pod: Pod) async throws -> Pod {
        try await client.pods.create(pod, in: "default")
    }

    /// Polls the pod until `condition` holds; fails the test after `timeout`.
    @discardableResult
    func waitForPod(
        _ name: String, timeout: Duration = .seconds(20), sourceLocation: SourceLocation = #_sourceLocation,
        until condition: (Pod) -> Bool
    ) async throws -> Pod? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var last: Pod?
        while clock.now < deadline {
            do {
                let pod = try await client.pods.get(name, in: "default")
                last = pod
                if condition(pod) { return pod }
            } catch where (error as? KubernetesAPIError)?.isNotFound == true {
                last = nil
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("pod \(name) did not reach the expected state in \(timeout); last seen: \(String(describing: last?.status))", sourceLocation: sourceLocation)
        return nil
    }

    /// Waits until the pod object no longer exists; returns how long it took.
    func waitForPodGone(_ name: String, timeout: Duration = .seconds(20), sourceLocation: SourceLocation = #_sourceLocation) async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now - start < timeout {
            do {
                _ = try await client.pods.get(name, in: "default")
            } catch where (error as? KubernetesAPIError)?.isNotFound == true {
                return clock.now - start
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("pod \(name) still exists after \(timeout)", sourceLocation: sourceLocation)
        return timeout
    }

    /// Waits until `check` holds, polling.
    static func eventually(
        timeout: Duration = .seconds(20), sourceLocation: SourceLocation = #_sourceLocation, _ what: String,
        _ check: () async throws -> Bool
    ) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if try await check() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation)
    }
}

extension NodeAgentCluster {
    /// Waits until a shell has written its pid to `file` and returns it.
    static func readPID(_ file: URL) async throws -> Int32 {
        var pid: Int32 = 0
        try await eventually("a pid in \(file.lastPathComponent)") {
            let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
            pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            return pid > 0
        }
        return pid
    }
}

extension Pod {
    var phase: String? { status?.phase }
    var mainState: ContainerState? { status?.containerStatuses?.first?.state }
    func condition(_ type: String) -> PodCondition? { status?.conditions?.first { $0.type == type } }
}
