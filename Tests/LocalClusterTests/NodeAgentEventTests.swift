import Foundation
import KubeClient
import RingmasterTesting
import Testing
@testable import LocalCluster

/// The scheduler's and the kubelet's events about pods, written by the node
/// agent and read back with real kubectl (`get events`, `describe pod`).
@Suite("Node agent: pod events")
struct NodeAgentEventTests {
    /// kubectl with a discovery cache of its own, so no earlier cluster on the same port answers for this one.
    @discardableResult
    static func kubectl(_ cluster: LocalClusterFixture, _ arguments: [String], allowFailure: Bool = false) async throws -> ProcessResult {
        let cache = cluster.dataDirectory.appendingPathComponent("kubectl-cache").path
        return try await KubectlAcceptanceTests.kubectl(cluster, ["--cache-dir", cache] + arguments, allowFailure: allowFailure)
    }

    /// The pod's events in the order they were written (the server's resourceVersion order).
    static func events(of pod: String, _ node: NodeAgentCluster) async throws -> [Event] {
        let list = try await node.client.events.list(
            in: .namespace("default"), options: ListOptions(fieldSelector: "involvedObject.name=\(pod)"))
        return list.items.sorted { Int($0.metadata.resourceVersion ?? "") ?? 0 < Int($1.metadata.resourceVersion ?? "") ?? 0 }
    }

    /// Waits until the pod's events satisfy `condition`; returns them.
    @discardableResult
    static func waitForEvents(
        of pod: String, _ node: NodeAgentCluster, _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
        until condition: @escaping ([Event]) -> Bool
    ) async throws -> [Event] {
        var last: [Event] = []
        try await NodeAgentCluster.eventually(timeout: .seconds(60), sourceLocation: sourceLocation, what) {
            last = try await events(of: pod, node)
            return condition(last)
        }
        return last
    }

    @Test func aPodThatRunsIsScheduledPulledCreatedAndStartedInOrder() async throws {
        try await NodeAgentCluster.run { node in
            _ = try await node.create(NodeAgentCluster.shellPod("runs", script: "sleep 60"))
            let events = try await Self.waitForEvents(of: "runs", node, "Started") { $0.contains { $0.reason == "Started" } }
            #expect(events.compactMap(\.reason) == ["Scheduled", "Pulled", "Created", "Started"])
            let pod = try await node.client.pods.get("runs", in: "default")
            let scheduled = try #require(events.first)
            #expect(scheduled.message == "Successfully assigned default/runs to local")
            #expect(scheduled.source?.component == "default-scheduler")
            #expect(scheduled.involvedObject.fieldPath == nil)
            for event in events.dropFirst() {
                #expect(event.type == "Normal")
                #expect(event.source == EventSource(component: "kubelet", host: "local"))
                #expect(event.reportingComponent == "kubelet")
                #expect(event.involvedObject.kind == "Pod")
                #expect(event.involvedObject.apiVersion == "v1")
                #expect(event.involvedObject.name == "runs")
                #expect(event.involvedObject.namespace == "default")
                #expect(event.involvedObject.uid == pod.metadata.uid)
                #expect(event.involvedObject.resourceVersion != nil)
                #expect(event.involvedObject.fieldPath == "spec.containers{main}")
                #expect(event.count == 1)
                #expect(event.firstTimestamp != nil && event.firstTimestamp == event.lastTimestamp)
            }
            #expect(events.map(\.message) == [
                "Successfully assigned default/runs to local",
                "Container image \"\(NodeAgentCluster.shellImage)\" already present on machine and can be accessed by the pod",
                "Container created", "Container started",
            ])

            let table = try await Self.kubectl(node.cluster, ["get", "events", "--field-selector", "involvedObject.name=runs"])
            for reason in ["Scheduled", "Pulled", "Created", "Started"] {
                #expect(table.standardOutput.contains(reason), "\(table.standardOutput)")
            }
            let describe = try await Self.kubectl(node.cluster, ["describe", "pod", "runs"])
            #expect(describe.standardOutput.contains("Events:"))
            #expect(describe.standardOutput.contains("default-scheduler  Successfully assigned default/runs to local"),
                    "\(describe.standardOutput)")
            #expect(describe.standardOutput.contains("spec.containers{main}: Container started"), "\(describe.standardOutput)")
        }
    }

    @Test func anImageTheNodeCannotRunIsReportedAsFailedErrImagePull() async throws {
        try await NodeAgentCluster.run { node in
            var pod = NodeAgentCluster.shellPod("no-image", script: "true")
            pod.spec?.containers[0].image = "docker.io/library/nginx:1.27"
            _ = try await node.create(pod)
            let events = try await Self.waitForEvents(of: "no-image", node, "ErrImagePull") {
                $0.contains { $0.message == "Error: ErrImagePull" }
            }
            let failed = events.filter { $0.reason == "Failed" }
            #expect(failed.count == 2)
            #expect(failed.allSatisfy { $0.type == "Warning" && $0.involvedObject.fieldPath == "spec.containers{main}" })
            #expect(failed.first?.message?.hasPrefix("Failed to pull image \"docker.io/library/nginx:1.27\": ") == true)
            #expect(!events.contains { $0.reason == "Started" })

            let table = try await Self.kubectl(node.cluster, ["get", "events", "--field-selector", "involvedObject.name=no-image"])
            #expect(table.standardOutput.contains("Warning"), "\(table.standardOutput)")
            #expect(table.standardOutput.contains("Failed"))
            #expect(table.standardOutput.contains("Error: ErrImagePull"))
            let describe = try await Self.kubectl(node.cluster, ["describe", "pod", "no-image"])
            #expect(describe.standardOutput.contains("Events:"))
            #expect(describe.standardOutput.contains("spec.containers{main}: Error: ErrImagePull"), "\(describe.standardOutput)")
            #expect(describe.standardOutput.contains("Failed to pull image \"docker.io/library/nginx:1.27\""))
        }
    }

    @Test func anUnschedulablePodGetsFailedScheduling() async throws {
        try await NodeAgentCluster.run(gpus: 0) { node in
            _ = try await node.create(NodeAgentCluster.shellPod(
                "wants-gpu", script: "true", resources: ResourceRequirements(limits: ["nvidia.com/gpu": "1"])))
            let events = try await Self.waitForEvents(of: "wants-gpu", node, "FailedScheduling") {
                $0.contains { $0.reason == "FailedScheduling" }
            }
            let event = try #require(events.first { $0.reason == "FailedScheduling" })
            #expect(event.type == "Warning")
            #expect(event.message == "0/1 nodes are available: 1 Insufficient nvidia.com/gpu.")
            #expect(event.source?.component == "default-scheduler")
            #expect(!events.contains { $0.reason == "Scheduled" })
            let table = try await Self.kubectl(node.cluster, ["get", "events", "--field-selector", "reason=FailedScheduling"])
            #expect(table.standardOutput.contains("pod/wants-gpu"), "\(table.standardOutput)")
            #expect(table.standardOutput.contains("0/1 nodes are available: 1 Insufficient nvidia.com/gpu."))
        }
    }

    @Test func deletingARunningPodRecordsKilling() async throws {
        try await NodeAgentCluster.run { node in
            _ = try await node.create(NodeAgentCluster.shellPod("doomed", script: "sleep 60", gracePeriod: 1))
            try await Self.waitForEvents(of: "doomed", node, "Started") { $0.contains { $0.reason == "Started" } }
            try await Self.kubectl(node.cluster, ["delete", "pod", "doomed", "--wait=false"])
            let events = try await Self.waitForEvents(of: "doomed", node, "Killing") { $0.contains { $0.reason == "Killing" } }
            let killing = try #require(events.first { $0.reason == "Killing" })
            #expect(killing.message == "Stopping container main")
            #expect(killing.type == "Normal")
            #expect(killing.involvedObject.fieldPath == "spec.containers{main}")
            _ = try await node.waitForPodGone("doomed")
            #expect(try await Self.events(of: "doomed", node).filter { $0.reason == "Killing" }.count == 1)
        }
    }

    @Test func aCrashLoopingContainerUpdatesOneBackOffEvent() async throws {
        try await NodeAgentCluster.run { node in
            _ = try await node.create(NodeAgentCluster.shellPod("crashes", script: "exit 3", restartPolicy: "Always"))
            let events = try await Self.waitForEvents(of: "crashes", node, "three back-offs") {
                ($0.first { $0.reason == "BackOff" }?.count ?? 0) >= 3
            }
            let backOff = events.filter { $0.reason == "BackOff" }
            #expect(backOff.count == 1)
            let pod = try await node.client.pods.get("crashes", in: "default")
            #expect(backOff.first?.type == "Warning")
            #expect(backOff.first?.message == "Back-off restarting failed container main in pod crashes_default(\(pod.metadata.uid ?? ""))")
            #expect(events.filter { $0.reason == "Started" }.count == 1)
            #expect((events.first { $0.reason == "Started" }?.count ?? 0) >= 3)
            let describe = try await Self.kubectl(node.cluster, ["describe", "pod", "crashes"])
            #expect(describe.standardOutput.range(of: #"BackOff\s+\S+ \(x\d+ over \S+\)"#, options: .regularExpression) != nil,
                    "\(describe.standardOutput)")
        }
    }

    @Test func aMissingSecretIsReportedAsTheKubeletsConfigError() async throws {
        try await NodeAgentCluster.run { node in
            let env = [EnvVar(name: "TOKEN", valueFrom: EnvVarSource(secretKeyRef: .init(name: "absent", key: "token")))]
            _ = try await node.create(NodeAgentCluster.shellPod("needs-secret", script: "true", env: env))
            let events = try await Self.waitForEvents(of: "needs-secret", node, "the config error twice") {
                ($0.first { $0.reason == "Failed" }?.count ?? 0) >= 2
            }
            let failed = events.filter { $0.reason == "Failed" }
            #expect(failed.count == 1)
            #expect(failed.first?.message == "Error: secret \"absent\" not found")
            #expect(failed.first?.type == "Warning")
        }
    }
}
