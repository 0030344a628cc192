import KubeClient

extension ResourceAmounts {
    /// What `pod` asks of a node, as the Kubernetes scheduler computes it: for
    /// each resource, the sum over the containers of the request (or the limit
    /// when only a limit is set) plus the sidecars', or the largest init
    /// container's plus the sidecars' started before it, whichever is larger.
    public init(requestsOf pod: Pod) throws(NodeAgentError) {
        guard let spec = pod.spec else {
            self.init()
            return
        }
        // Sidecars (init containers with `restartPolicy: Always`) run beside
        // the init containers after them and beside the main containers.
        var sidecars = ResourceAmounts()
        var initMax = ResourceAmounts()
        for container in spec.initContainers ?? [] {
            let requests = try Self.requests(of: container)
            if container.isSidecar {
                sidecars = sidecars + requests
                initMax = initMax.componentwiseMax(sidecars)
            } else {
                initMax = initMax.componentwiseMax(sidecars + requests)
            }
        }
        var sum = sidecars
        for container in spec.containers {
            sum = sum + (try Self.requests(of: container))
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
