/// `core/v1.ConfigMap`.
public struct ConfigMap: KubernetesResource, Hashable {
    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var data: [String: String]?
    /// Base64-encoded values.
    public var binaryData: [String: String]?
    public var immutable: Bool?

    public init(
        metadata: ObjectMeta, data: [String: String]? = nil, binaryData: [String: String]? = nil,
        immutable: Bool? = nil
    ) {
        self.apiVersion = Self.descriptor.apiVersion
        self.kind = Self.descriptor.kind
        self.metadata = metadata
        self.data = data
        self.binaryData = binaryData
        self.immutable = immutable
    }
}
