import Foundation
import KubeClient
import Testing
@testable import LocalCluster

@Suite("Node agent: quantities and scheduling")
struct NodeAgentSchedulingTests {
    static let quantities: [(String, Int64)] = [
        ("1", 1000), ("500m", 500), ("0.5", 500), ("2Gi", 2_147_483_648_000),
        ("1k", 1_000_000), ("1e3", 1_000_000), ("1.5Mi", 1_572_864_000), ("0.0001", 1), ("0", 0),
    ]

    @Test(arguments: quantities)
    func parsesQuantities(text: String, milli: Int64) throws {
        #expect(try ResourceAmounts.milliValue(of: text) == milli)
    }

    @Test(arguments: ["", "abc", "-1", "1Zi", "Gi", "1..2", "1e", ".", "1.2.3", "2 Gi"])
    func rejectsMalformedQuantities(text: String) {
        #expect(throws: NodeAgentError.self) { try ResourceAmounts.milliValue(of: text) }
    }

    func pod(requests: [String: Quantity]? = nil, limits: [String: Quantity]? = nil, nodeSelector: [String: String]? = nil,
             affinity: JSONValue? = nil) -> Pod {
        Pod(
            metadata: ObjectMeta(name: "p", namespace: "default", uid: "u"),
            spec: PodSpec(
                containers: [Container(name: "c", image: "x", resources: ResourceRequirements(limits: limits, requests: requests))],
                nodeSelector: nodeSelector, affinity: affinity))
    }

    var node: NodeFit {
        var capacity = ResourceAmounts()
        capacity["cpu"] = 4000
        capacity["memory"] = 8 * 1024 * 1024 * 1024 * 1000
        capacity["nvidia.com/gpu"] = 0
        return NodeFit(
            nodeName: "local", labels: ["kubernetes.io/hostname": "local", "kubernetes.io/os": "linux"], capacity: capacity)
    }

    @Test func requestsFallBackToLimitsAndTakeTheLargestInitContainer() throws {
        var pod = pod(requests: ["cpu": "1"], limits: ["cpu": "2", "memory": "1Gi"])
        pod.spec?.containers.append(Container(name: "d", image: "x", resources: ResourceRequirements(limits: ["cpu": "500m"])))
        pod.spec?.initContainers = [Container(name: "i", image: "x", resources: ResourceRequirements(requests: ["cpu": "3"]))]
        let requests = try ResourceAmounts(requestsOf: pod)
        #expect(requests["cpu"] == 3000)
        #expect(requests["memory"] == 1024 * 1024 * 1024 * 1000)
    }

    @Test func gpuRequestBeyondCapacityIsUnschedulableInTheSchedulersWords() throws {
        let pod = pod(limits: ["nvidia.com/gpu": "1"])
        let decision = node.decide(pod: pod, requests: try ResourceAmounts(requestsOf: pod), allocated: ResourceAmounts())
        #expect(decision == .unschedulable(message: "0/1 nodes are available: 1 Insufficient nvidia.com/gpu."))
    }

    @Test func allocatedCapacityCountsAndReasonsAreSorted() throws {
        let pod = pod(requests: ["cpu": "2", "memory": "7Gi"])
        var allocated = ResourceAmounts()
        allocated["cpu"] = 3000
        allocated["memory"] = 2 * 1024 * 1024 * 1024 * 1000
        let decision = node.decide(pod: pod, requests: try ResourceAmounts(requestsOf: pod), allocated: allocated)
        #expect(decision == .unschedulable(message: "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory."))
        #expect(node.decide(pod: pod, requests: try ResourceAmounts(requestsOf: pod), allocated: ResourceAmounts()) == .fits)
    }

    @Test func nodeSelectorAndAffinityMustMatchTheNodeLabels() {
        #expect(node.matchesSelector(pod(nodeSelector: ["kubernetes.io/os": "linux"])))
        #expect(!node.matchesSelector(pod(nodeSelector: ["kubernetes.io/os": "windows"])))
        let affinity: JSONValue = [
            "nodeAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": ["nodeSelectorTerms": [
                ["matchExpressions": [["key": "kubernetes.io/hostname", "operator": "In", "values": ["other"]]]],
            ]]],
        ]
        #expect(!node.matchesSelector(pod(affinity: affinity)))
        let matching: JSONValue = [
            "nodeAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": ["nodeSelectorTerms": [
                ["matchExpressions": [["key": "kubernetes.io/hostname", "operator": "In", "values": ["other"]]]],
                ["matchExpressions": [["key": "gpu", "operator": "DoesNotExist"]]],
            ]]],
        ]
        #expect(node.matchesSelector(pod(affinity: matching)))
        let decision = node.decide(pod: pod(nodeSelector: ["zone": "a"]), requests: ResourceAmounts(), allocated: ResourceAmounts())
        #expect(decision == .unschedulable(message: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."))
    }

    @Test func missingClaimsKeepThePodPending() {
        let decision = node.decide(pod: pod(), requests: ResourceAmounts(), allocated: ResourceAmounts(), missingClaims: ["data"])
        #expect(decision == .unschedulable(message: "0/1 nodes are available: persistentvolumeclaim \"data\" not found."))
    }

    @Test func addressesAreUniqueSkipReservedOctetsAndAreReusedOnlyAfterACycle() throws {
        var pool = try PodAddressPool(first: "127.0.0.253", last: "127.0.1.2")
        let a = try pool.address(for: "a")
        let b = try pool.address(for: "b")
        #expect(a == "127.0.0.253")
        #expect(b == "127.0.0.254")
        #expect(try pool.address(for: "a") == a)
        pool.release("a")
        #expect(try pool.address(for: "c") == "127.0.1.1")
        #expect(try pool.address(for: "d") == "127.0.1.2")
        #expect(try pool.address(for: "e") == "127.0.0.253")
        #expect(throws: NodeAgentError.self) { try pool.address(for: "f") }
        pool.reserve("127.0.0.254", for: "g")
        #expect(pool.assignedAddress(of: "g") == nil)
    }

    @Test func hostsFileListsEveryNameFormAndIsReplacedWhole() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hosts-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = HostsFile(directory: directory)
        try file.write([
            HostsEntry(address: "127.0.0.3", hostname: "job-worker-1", subdomain: "job", namespace: "ml"),
            HostsEntry(address: "127.0.0.2", hostname: "job-worker-0", subdomain: "job", namespace: "ml"),
        ], namespace: "ml")
        let text = try String(contentsOf: try file.path(for: "ml"), encoding: .utf8)
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(lines == [
            "127.0.0.2 job-worker-0.job.ml.svc.cluster.local job-worker-0.job.ml.svc job-worker-0.job job-worker-0",
            "127.0.0.3 job-worker-1.job.ml.svc.cluster.local job-worker-1.job.ml.svc job-worker-1.job job-worker-1",
        ])
        try file.write([], namespace: "ml")
        let emptied = try String(contentsOf: try file.path(for: "ml"), encoding: .utf8)
        #expect(!emptied.contains("job-worker"))
    }

    @Test(arguments: [
        ("ghcr.io/ringmaster-dev/ringmaster-worker:0.1.0", "ringmaster-worker"),
        ("ringmaster-worker", "ringmaster-worker"),
        ("localhost:5000/ringmaster-worker@sha256:abc", "ringmaster-worker"),
        ("pytorch/pytorch:2.3", "pytorch"),
    ])
    func imagesMatchByRepositoryName(image: String, repository: String) {
        #expect(ImageMapping.repositoryName(of: image) == repository)
    }

    @Test func theMappedImageRunsItsExecutableWithTheContainersArguments() {
        let mapping = ImageMapping.ringmasterWorker(executable: "/opt/bin/ringmaster-worker")
        let rule = mapping.rule(for: "ghcr.io/ringmaster-dev/ringmaster-worker:latest")
        #expect(rule != nil)
        #expect(mapping.rule(for: "python:3.12") == nil)
        guard let rule else { return }
        #expect(ImageMapping.argumentVector(rule: rule, command: ["python", "train.py"], args: ["--epochs", "2"])
            == ["/opt/bin/ringmaster-worker", "--epochs", "2"])
        #expect(ImageMapping.argumentVector(rule: rule, command: ["/usr/local/bin/ringmaster-worker", "train"], args: ["-v"])
            == ["/opt/bin/ringmaster-worker", "train", "-v"])
    }
}
