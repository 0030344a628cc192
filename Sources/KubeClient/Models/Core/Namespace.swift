/// `core/v1.Namespace` (cluster-scoped).
public struct Namespace: KubernetesResource, HasStatusSubresource, Hashable {
    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// `core/v1.NamespaceSpec` (finalizers), kept as JSON.
    public var spec: JSONValue?
    public var status: NamespaceStatus?

    public init(metadata: ObjectMeta, spec: JSONValue? = nil, status: NamespaceStatus? = nil) {
        self.apiVersion = Self.descriptor.apiVersion
        self.kind = Self.descriptor.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// `core/v1.NamespaceStatus`.
public struct NamespaceStatus: Codable, Sendable, Hashable {
    /// `Active` or `Terminating`.
    public var phase: String?
    public init(phase: String? = nil) { self.phase = phase }
}
