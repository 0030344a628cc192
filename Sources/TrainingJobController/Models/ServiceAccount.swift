import KubeClient

/// `core/v1.ServiceAccount`: the identity of the worker Pods.
public struct ServiceAccount: KubernetesResource, Hashable {
    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var automountServiceAccountToken: Bool?

    public init(metadata: ObjectMeta, automountServiceAccountToken: Bool? = nil) {
        self.apiVersion = Self.descriptor.apiVersion
        self.kind = Self.descriptor.kind
        self.metadata = metadata
        self.automountServiceAccountToken = automountServiceAccountToken
    }
}
