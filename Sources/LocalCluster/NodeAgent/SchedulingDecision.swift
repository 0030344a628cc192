import KubeClient

/// The outcome of fitting one pod to the local node.
public enum SchedulingDecision: Sendable, Hashable {
    /// The pod fits and may be bound.
    case fits
    /// The pod does not fit now; `message` is what the Kubernetes scheduler
    /// would write in the `PodScheduled=False` condition.
    case unschedulable(message: String)
}

/// The local node as the scheduler sees it, and the fit check against it.
///
/// This is the filter phase of the Kubernetes scheduler for a cluster of one
/// node without taints: resource fit (`NodeResourcesFit`), `nodeSelector` and
/// required node affinity (`NodeAffinity`), and existing claims
/// (`VolumeBinding`). Messages follow the real scheduler's wording, for
/// example `0/1 nodes are available: 1 Insufficient nvidia.com/gpu.`
public struct NodeFit: Sendable, Hashable {
    public var nodeName: String
    public var labels: [String: String]
    public var capacity: ResourceAmounts

    public init(nodeName: String, labels: [String: String], capacity: ResourceAmounts) {
        self.nodeName = nodeName
        self.labels = labels
        self.capacity = capacity
    }

    /// Decides whether a pod requesting `requests` fits next to pods that
    /// already hold `allocated`.
    ///
    /// - Parameters:
    ///   - missingClaims: names of PersistentVolumeClaims the pod uses that do
    ///     not exist (the scheduler waits for them).
    public func decide(
        pod: Pod, requests: ResourceAmounts, allocated: ResourceAmounts, missingClaims: [String] = []
    ) -> SchedulingDecision {
        if let claim = missingClaims.sorted().first {
            return .unschedulable(message: "0/1 nodes are available: persistentvolumeclaim \"\(claim)\" not found.")
        }
        if !matchesSelector(pod) {
            return .unschedulable(
                message: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.")
        }
        var insufficient: [String] = []
        for (name, wanted) in requests.milliValues where wanted > 0 {
            if wanted > capacity[name] &- allocated[name] {
                insufficient.append(name)
            }
        }
        if insufficient.isEmpty { return .fits }
        let reasons = insufficient.sorted().map { "1 Insufficient \($0)" }.joined(separator: ", ")
        return .unschedulable(message: "0/1 nodes are available: \(reasons).")
    }

    /// Whether the node's labels satisfy the pod's `nodeSelector` and its
    /// required node affinity (`In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`,
    /// `Lt` over labels; terms are ORed, expressions within a term ANDed).
    public func matchesSelector(_ pod: Pod) -> Bool {
        for (key, value) in pod.spec?.nodeSelector ?? [:] where labels[key] != value {
            return false
        }
        guard let terms = pod.spec?.affinity?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"]?[
            "nodeSelectorTerms"]?.arrayValue
        else { return true }
        if terms.isEmpty { return true }
        return terms.contains { term in
            let expressions = term["matchExpressions"]?.arrayValue ?? []
            let fields = term["matchFields"]?.arrayValue ?? []
            if expressions.isEmpty && fields.isEmpty { return false }
            let labelMatch = expressions.allSatisfy { matches($0, in: labels) }
            let fieldMatch = fields.allSatisfy { matches($0, in: ["metadata.name": nodeName]) }
            return labelMatch && fieldMatch
        }
    }

    private func matches(_ expression: JSONValue, in values: [String: String]) -> Bool {
        guard let key = expression["key"]?.stringValue, let op = expression["operator"]?.stringValue else {
            return false
        }
        let operands = (expression["values"]?.arrayValue ?? []).compactMap(\.stringValue)
        let value = values[key]
        switch op {
        case "In": return value.map { operands.contains($0) } ?? false
        case "NotIn": return value.map { !operands.contains($0) } ?? true
        case "Exists": return value != nil
        case "DoesNotExist": return value == nil
        case "Gt", "Lt":
            guard let value, let number = Int64(value), operands.count == 1, let bound = Int64(operands[0]) else {
                return false
            }
            return op == "Gt" ? number > bound : number < bound
        default: return false
        }
    }
}
