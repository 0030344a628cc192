import KubeClient

extension ResourceAmounts {
    /// What `pod` asks of a node, as the Kubernetes scheduler computes it: for
    /// each resource, the sum over the containers of the request (or the limit
    /// when only a limit is set), or the largest init container's, whichever
    /// is larger.
    public init(requestsOf pod: Pod) throws(NodeAgentError) {
        guard let spec = pod.spec else {
            self.init()
            return
        }
        var sum = ResourceAmounts()
        for container in spec.containers {
            sum = sum + (try Self.requests(of: container))
        }
        var initMax = ResourceAmounts()
        for container in spec.initContainers ?? [] {
            initMax = initMax.componentwiseMax(try Self.requests(of: container))
        }
        self = sum.componentwiseMax(initMax)
    }

    private static func requests(of container: Container) throws(NodeAgentError) -> ResourceAmounts {
        var merged = container.resources?.limits ?? [:]
        for (name, value) in container.resources?.requests ?? [:] { merged[name] = value }
        do {
            return try ResourceAmounts(quantities: merged)
        } catch {
            throw NodeAgentError(
                .invalidQuantity, "container \"\(container.name)\": \(error.message)")
        }
    }
}
