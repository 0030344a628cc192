import KubeClient

/// `rbac.authorization.k8s.io/v1.Role`.
public struct Role: KubernetesResource, Hashable {
    public static let descriptor = ResourceDescriptor(
        group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var rules: [PolicyRule]?

    public init(metadata: ObjectMeta, rules: [PolicyRule]) {
        self.apiVersion = Self.descriptor.apiVersion
        self.kind = Self.descriptor.kind
        self.metadata = metadata
        self.rules = rules
    }
}

/// `rbac.authorization.k8s.io/v1.PolicyRule`.
public struct PolicyRule: Codable, Sendable, Hashable {
    public var apiGroups: [String]?
    public var resources: [String]?
    public var resourceNames: [String]?
    public var verbs: [String]

    public init(apiGroups: [String]? = nil, resources: [String]? = nil, resourceNames: [String]? = nil, verbs: [String]) {
        self.apiGroups = apiGroups
        self.resources = resources
        self.resourceNames = resourceNames
        self.verbs = verbs
    }
}
