/// `core/v1.Service`. Ringmaster uses headless services (`clusterIP: None`)
/// so each worker gets a stable DNS name.
public struct Service: KubernetesResource, HasStatusSubresource, Hashable {
    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "Service", plural: "services", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ServiceSpec?
    /// `core/v1.ServiceStatus`, kept as JSON.
    public var status: JSONValue?

    public init(metadata: ObjectMeta, spec: ServiceSpec? = nil, status: JSONValue? = nil) {
        self.apiVersion = Self.descriptor.apiVersion
        self.kind = Self.descriptor.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// `core/v1.ServiceSpec`.
public struct ServiceSpec: Codable, Sendable, Hashable {
    /// `"None"` for a headless service.
    public var clusterIP: String?
    public var clusterIPs: [String]?
    public var selector: [String: String]?
    public var ports: [ServicePort]?
    public var publishNotReadyAddresses: Bool?
    /// `ClusterIP`, `NodePort`, `LoadBalancer` or `ExternalName`.
    public var type: String?

    public init(
        clusterIP: String? = nil, clusterIPs: [String]? = nil, selector: [String: String]? = nil,
        ports: [ServicePort]? = nil, publishNotReadyAddresses: Bool? = nil, type: String? = nil
    ) {
        self.clusterIP = clusterIP
        self.clusterIPs = clusterIPs
        self.selector = selector
        self.ports = ports
        self.publishNotReadyAddresses = publishNotReadyAddresses
        self.type = type
    }
}

/// `core/v1.ServicePort`.
public struct ServicePort: Codable, Sendable, Hashable {
    public var name: String?
    public var port: Int32
    /// A number or a named container port, kept as JSON (`IntOrString`).
    public var targetPort: JSONValue?
    public var `protocol`: String?

    public init(name: String? = nil, port: Int32, targetPort: JSONValue? = nil, protocol: String? = nil) {
        self.name = name
        self.port = port
        self.targetPort = targetPort
        self.protocol = `protocol`
    }
}
