import Foundation
import KubeClient
import RingmasterTesting
import Testing
@testable import LocalCluster

/// Native sidecars (init containers with `restartPolicy: Always`) on the local node.
@Suite("Node agent: native sidecars", .serialized)
struct NodeAgentSidecarTests {
    /// The sidecar starts first and shares an emptyDir with the main
    /// container, is restarted when it exits while the pod runs, and is
    /// stopped (SIGTERM) once the main container has exited; the pod then
    /// ends Succeeded, as its main container decides.
    @Test func aSidecarStartsFirstRunsBesideTheMainContainerAndIsStoppedAfterIt() async throws {
        try await NodeAgentCluster.run { env in
            let directory = env.cluster.dataDirectory
            let runs = directory.appendingPathComponent("sidecar-runs")
            let terminated = directory.appendingPathComponent("sidecar-terminated")
            let go = directory.appendingPathComponent("go")
            let shared = [VolumeMount(name: "shared", mountPath: "/shared")]
            let sharedFile = [EnvVar(name: "SHARED_FILE", value: "/shared/greeting")]
            // First run: exits 1 at once (to be restarted); later runs write the
            // shared file and run until SIGTERM.
            let sidecarScript = """
                echo run >> '\(runs.path)'
                if [ "$(wc -l < '\(runs.path)')" -eq 1 ]; then exit 1; fi
                trap 'echo term > \(terminated.path); exit 0' TERM
                echo hello-from-sidecar > "$SHARED_FILE"
                while true; do sleep 0.05; done
                """
            let mainScript = """
                while [ ! -f "$SHARED_FILE" ] || [ ! -f '\(go.path)' ]; do sleep 0.05; done
                cat "$SHARED_FILE"
                """
            var pod = NodeAgentCluster.shellPod(
                "with-sidecar", script: mainScript, gracePeriod: 10, env: sharedFile, mounts: shared,
                volumes: [Volume(name: "shared", emptyDir: EmptyDirVolumeSource())])
            pod.spec?.initContainers = [Container(
                name: "helper", image: NodeAgentCluster.shellImage, args: ["-c", sidecarScript], env: sharedFile,
                volumeMounts: shared, restartPolicy: "Always")]
            _ = try await env.create(pod)

            let running = try await env.waitForPod("with-sidecar") { pod in
                pod.phase == "Running" && pod.status?.initContainerStatuses?.first?.restartCount == 1
                    && pod.status?.initContainerStatuses?.first?.state?.running != nil && pod.mainState?.running != nil
                    && pod.condition("Ready")?.status == "True"
            }
            let sidecar = try #require(running?.status?.initContainerStatuses?.first)
            #expect(sidecar.name == "helper")
            #expect(sidecar.started == true)
            #expect(sidecar.ready == true)
            #expect(sidecar.lastState?.terminated?.exitCode == 1)
            #expect(running?.condition("Initialized")?.status == "True")
            // Started first (RFC 3339 seconds, so only a coarse check of the order).
            let sidecarStart = try #require(sidecar.lastState?.terminated?.startedAt.flatMap(RFC3339.parse))
            let mainStart = try #require(running?.mainState?.running?.startedAt.flatMap(RFC3339.parse))
            #expect(sidecarStart <= mainStart)
            #expect(!FileManager.default.fileExists(atPath: terminated.path))

            try Data().write(to: go)
            let done = try await env.waitForPod("with-sidecar") { $0.phase == "Succeeded" }
            // The phase is final only once the sidecar has stopped.
            #expect((try? String(contentsOf: terminated, encoding: .utf8)) == "term\n")
            #expect(done?.mainState?.terminated?.exitCode == 0)
            let stopped = done?.status?.initContainerStatuses?.first
            #expect(stopped?.state?.terminated?.exitCode == 0)
            #expect(stopped?.started == false)
            #expect(stopped?.restartCount == 1, "not restarted after it was stopped")
            #expect(try await env.client.pods.logs("with-sidecar", in: "default") == "hello-from-sidecar\n")
            let lines = try String(contentsOf: runs, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 2)
        }
    }

    /// A main container that fails decides the phase, whatever the sidecar does.
    @Test func theMainContainerAloneDecidesThePhase() async throws {
        try await NodeAgentCluster.run { env in
            var pod = NodeAgentCluster.shellPod("failing-main", script: "sleep 0.2; exit 4", gracePeriod: 1)
            // A sidecar that ignores SIGTERM: killed after the grace period.
            pod.spec?.initContainers = [Container(
                name: "stubborn", image: NodeAgentCluster.shellImage, args: ["-c", "trap '' TERM; while true; do sleep 0.05; done"],
                restartPolicy: "Always")]
            _ = try await env.create(pod)
            let failed = try await env.waitForPod("failing-main") { $0.phase == "Failed" }
            #expect(failed?.mainState?.terminated?.exitCode == 4)
            #expect(failed?.status?.initContainerStatuses?.first?.state?.terminated != nil)
        }
    }

    @Test func restartPolicyIsOnlyForInitContainersAndOnlyAlways() async throws {
        try await NodeAgentCluster.run { env in
            var pod = NodeAgentCluster.shellPod("bad-policy", script: "true")
            pod.spec?.containers[0].restartPolicy = "Always"
            pod.spec?.initContainers = [Container(name: "init", image: NodeAgentCluster.shellImage, restartPolicy: "OnFailure")]
            let error = await #expect(throws: KubernetesAPIError.self) { try await env.create(pod) }
            let causes = error?.details?.causes ?? []
            #expect(causes.contains { $0.field == "spec.containers[0].restartPolicy" && $0.message == "Forbidden: may not be set for non-init containers" })
            #expect(causes.contains { $0.field == "spec.initContainers[0].restartPolicy" && $0.message == "Unsupported value: \"OnFailure\": supported values: \"Always\"" })
        }
    }

    @Test func theStatusCountsARunningSidecarTowardReadinessButNotThePhase() {
        var sidecar = ContainerRecord(name: "side", image: "x", isSidecar: true)
        var main = ContainerRecord(name: "main", image: "x")
        func status() -> PodStatusBuilder {
            PodStatusBuilder(podIP: "127.0.0.2", hostIP: "127.0.0.1", startTime: "t", initContainers: [sidecar],
                             containers: [main], initialized: true, failure: nil)
        }
        sidecar.state = ContainerState(running: .init(startedAt: "t"))
        sidecar.hasStarted = true
        main.state = ContainerState(running: .init(startedAt: "t"))
        #expect(status().status(previous: [], now: "t").conditions?.first { $0.type == "Ready" }?.status == "True")
        sidecar.state = ContainerState(waiting: .init(reason: "CrashLoopBackOff"))
        let unready = status().status(previous: [], now: "t").conditions?.first { $0.type == "Ready" }
        #expect(unready?.message == "containers with unready status: [side]")
        sidecar.state = ContainerState(running: .init(startedAt: "t"))
        main.state = ContainerState(terminated: .init(exitCode: 0))
        main.finished = true
        #expect(status().phase == "Running", "not final while the sidecar runs")
        sidecar.state = ContainerState(terminated: .init(exitCode: 137))
        sidecar.finished = true
        #expect(status().phase == "Succeeded", "the sidecar's exit code does not count")
    }
}
