import Foundation
import KubeClient
import RingmasterTesting
import Testing
@testable import LocalCluster

/// The node agent against a real in-process API server, running real processes.
@Suite("Node agent: pods on the local cluster", .serialized)
struct NodeAgentLifecycleTests {
    @Test func aPodRunsAsAProcessEndsFailedWithItsExitCodeAndItsLogIsServed() async throws {
        try await NodeAgentCluster.run { env in
            _ = try await env.create(NodeAgentCluster.shellPod("hello", script: "echo hello; echo oops >&2; exit 3"))
            let pod = try await env.waitForPod("hello") { $0.phase == "Failed" }
            let terminated = pod?.mainState?.terminated
            #expect(terminated?.exitCode == 3)
            #expect(terminated?.reason == "Error")
            #expect(terminated?.finishedAt != nil)
            #expect(pod?.spec?.nodeName == "local")
            #expect(pod?.status?.podIP?.hasPrefix("127.0.") == true)
            #expect(pod?.status?.podIP != "127.0.0.1")
            #expect(pod?.status?.hostIP == "127.0.0.1")
            #expect(pod?.status?.startTime != nil)
            #expect(pod?.condition("PodScheduled")?.status == "True")
            #expect(pod?.condition("Initialized")?.status == "True")
            #expect(pod?.condition("Ready")?.status == "False")

            let viaAPI = try await env.client.pods.logs("hello", in: "default")
            #expect(viaAPI == "hello\noops\n")
            let kubectl = try ExternalTools.kubectl()
            let result = try await ProcessRunner.run(
                kubectl, ["logs", "hello", "-n", "default"], environment: env.cluster.kubectlEnvironment,
                timeout: .seconds(30))
            #expect(result.status == 0, "\(result.combinedOutput)")
            #expect(result.standardOutput == "hello\noops\n")

            let nodes = try await ProcessRunner.run(
                kubectl, ["get", "nodes", "-o", "jsonpath={.items[*].metadata.name} {.items[0].status.capacity.cpu} {.items[0].status.conditions[0].type}={.items[0].status.conditions[0].status}"],
                environment: env.cluster.kubectlEnvironment, timeout: .seconds(30))
            #expect(nodes.status == 0, "\(nodes.combinedOutput)")
            #expect(nodes.standardOutput == "local 4 Ready=True")
        }
    }

    @Test func aSucceedingPodRunsThroughRunningToSucceeded() async throws {
        try await NodeAgentCluster.run { env in
            let marker = env.cluster.dataDirectory.appendingPathComponent("go")
            _ = try await env.create(NodeAgentCluster.shellPod(
                "ok", script: "while [ ! -f '\(marker.path)' ]; do sleep 0.05; done; exit 0"))
            let running = try await env.waitForPod("ok") { $0.phase == "Running" }
            #expect(running?.mainState?.running?.startedAt != nil)
            #expect(running?.condition("Ready")?.status == "True")
            #expect(running?.status?.containerStatuses?.first?.ready == true)
            try Data().write(to: marker)
            let done = try await env.waitForPod("ok") { $0.phase == "Succeeded" }
            #expect(done?.mainState?.terminated?.exitCode == 0)
            #expect(done?.mainState?.terminated?.reason == "Completed")
        }
    }

    @Test func anImageTheClusterCannotRunFailsThePodWithErrImagePull() async throws {
        try await NodeAgentCluster.run { env in
            var pod = NodeAgentCluster.shellPod("foreign", script: "true")
            pod.spec?.containers[0].image = "docker.io/library/python:3.12"
            _ = try await env.create(pod)
            let failed = try await env.waitForPod("foreign") { $0.phase == "Failed" }
            let waiting = failed?.mainState?.waiting
            #expect(waiting?.reason == "ErrImagePull")
            #expect(waiting?.message
                == "image \"docker.io/library/python:3.12\" is not available on the local cluster: map it with `ringmaster local up --image python=host` (or =/path/to/executable)")
            #expect(failed?.status?.reason == "ErrImagePull")
        }
    }

    @Test func aPodWantingMoreGPUsThanFreeStaysPendingUntilAnotherPodFinishes() async throws {
        try await NodeAgentCluster.run(gpus: 1) { env in
            let gpu = ResourceRequirements(limits: [NodeAgentConfiguration.gpuResource: "1"])
            _ = try await env.create(NodeAgentCluster.shellPod("holder", script: "sleep 60", gracePeriod: 1, resources: gpu))
            try await env.waitForPod("holder") { $0.phase == "Running" }
            _ = try await env.create(NodeAgentCluster.shellPod("waiter", script: "echo got-gpu", resources: gpu))
            let pending = try await env.waitForPod("waiter") { $0.condition("PodScheduled")?.status == "False" }
            #expect(pending?.phase == "Pending")
            #expect(pending?.spec?.nodeName == nil)
            #expect(pending?.condition("PodScheduled")?.reason == "Unschedulable")
            #expect(pending?.condition("PodScheduled")?.message == "0/1 nodes are available: 1 Insufficient nvidia.com/gpu.")

            // Still pending a while later: nothing frees the GPU by itself.
            try await Task.sleep(for: .seconds(1))
            #expect(try await env.client.pods.get("waiter", in: "default").spec?.nodeName == nil)

            try await env.client.pods.delete("holder", in: "default")
            let scheduled = try await env.waitForPod("waiter") { $0.phase == "Succeeded" }
            #expect(scheduled?.spec?.nodeName == "local")
            #expect(scheduled?.condition("PodScheduled")?.status == "True")
            #expect(try await env.client.pods.logs("waiter", in: "default") == "got-gpu\n")
        }
    }

    @Test func deletionSendsSigtermThenTheObjectDisappears() async throws {
        try await NodeAgentCluster.run { env in
            let marker = env.cluster.dataDirectory.appendingPathComponent("terminated")
            _ = try await env.create(NodeAgentCluster.shellPod(
                "polite", script: "trap 'echo term > \(marker.path); exit 0' TERM; while true; do sleep 0.1; done",
                gracePeriod: 30))
            try await env.waitForPod("polite") { $0.phase == "Running" }
            try await env.client.pods.delete("polite", in: "default")
            let took = try await env.waitForPodGone("polite")
            #expect(took < .seconds(10), "a process that stops on SIGTERM must not wait for the 30 s grace period")
            #expect((try? String(contentsOf: marker, encoding: .utf8)) == "term\n")
        }
    }

    // `$$$$` in args: Kubernetes turns `$$` into `$` when it expands
    // `$(VAR)` references, so the shell sees `$$` (its pid).
    @Test func aProcessIgnoringSigtermIsKilledAfterTheGracePeriod() async throws {
        try await NodeAgentCluster.run { env in
            let pidFile = env.cluster.dataDirectory.appendingPathComponent("pid")
            _ = try await env.create(NodeAgentCluster.shellPod(
                "stubborn", script: "trap '' TERM; echo $$$$ > \(pidFile.path); sleep 60", gracePeriod: 2))
            try await env.waitForPod("stubborn") { $0.phase == "Running" }
            let pid = try await NodeAgentCluster.readPID(pidFile)
            #expect(pid > 0)
            try await env.client.pods.delete("stubborn", in: "default")
            let took = try await env.waitForPodGone("stubborn")
            #expect(took >= .milliseconds(1800), "the process ignores SIGTERM, so it lives for the grace period")
            #expect(took < .seconds(10))
            #expect(kill(pid, 0) != 0, "the process was killed")
        }
    }

    @Test func failedContainersRestartUnderOnFailureWithARestartCount() async throws {
        try await NodeAgentCluster.run { env in
            let pod = NodeAgentCluster.shellPod(
                "flaky", script: "if [ -f \"$MARK\" ]; then exit 0; fi; touch \"$MARK\"; exit 1",
                restartPolicy: "OnFailure", env: [EnvVar(name: "MARK", value: "/scratch/once")],
                mounts: [VolumeMount(name: "scratch", mountPath: "/scratch")],
                volumes: [Volume(name: "scratch", emptyDir: EmptyDirVolumeSource())])
            _ = try await env.create(pod)
            let done = try await env.waitForPod("flaky") { $0.phase == "Succeeded" }
            let status = done?.status?.containerStatuses?.first
            #expect(status?.restartCount == 1)
            #expect(status?.lastState?.terminated?.exitCode == 1)
            #expect(status?.state?.terminated?.exitCode == 0)
        }
    }

    @Test func aPodPastItsActiveDeadlineFails() async throws {
        try await NodeAgentCluster.run { env in
            var pod = NodeAgentCluster.shellPod("bounded", script: "sleep 60", gracePeriod: 1)
            pod.spec?.activeDeadlineSeconds = 1
            _ = try await env.create(pod)
            let failed = try await env.waitForPod("bounded", timeout: .seconds(10)) {
                $0.phase == "Failed" && $0.mainState?.terminated != nil
            }
            #expect(failed?.status?.reason == "DeadlineExceeded")
            #expect(failed?.mainState?.terminated?.exitCode == 143)
            #expect(failed?.mainState?.terminated?.signal == SIGTERM)
        }
    }

    @Test func podsStartedBeforeTheAgentRestartedAreMarkedFailed() async throws {
        let cluster = try await LocalClusterFixture.start()
        let client = try KubernetesClient(config: cluster.kubeConfig, options: ClientOptions(qps: nil))
        let configuration = NodeAgentCluster.configuration(for: cluster)
        let pidFile = cluster.dataDirectory.appendingPathComponent("pid")
        var pid: Int32 = 0
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await NodeAgent(configuration: configuration, client: client).run() }
            let env = NodeAgentCluster(cluster: cluster, client: client)
            _ = try await env.create(NodeAgentCluster.shellPod("survivor", script: "echo $$$$ > \(pidFile.path); exec sleep 60"))
            try await env.waitForPod("survivor") { $0.phase == "Running" }
            pid = try await NodeAgentCluster.readPID(pidFile)
            group.cancelAll()
            try await group.waitForAll()
        }
        #expect(pid > 0 && kill(pid, 0) != 0, "stopping the agent stops its processes")
        #expect(try await client.pods.get("survivor", in: "default").phase == "Running")

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await NodeAgent(configuration: configuration, client: client).run() }
            let env = NodeAgentCluster(cluster: cluster, client: client)
            let lost = try await env.waitForPod("survivor") { $0.phase == "Failed" }
            #expect(lost?.status?.reason == "NodeRestart")
            #expect(lost?.mainState?.terminated?.reason == "ContainerStatusUnknown")
            group.cancelAll()
        }
        try await cluster.shutdown()
    }
}
