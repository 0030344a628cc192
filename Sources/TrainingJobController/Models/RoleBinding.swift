import KubeClient

/// `rbac.authorization.k8s.io/v1.RoleBinding`.
public struct RoleBinding: KubernetesResource, Hashable {
    public static let descriptor = ResourceDescriptor(
        group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings",
        namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var roleRef: RoleRef
    public var subjects: [Subject]?

    public init(metadata: ObjectMeta, roleRef: RoleRef, subjects: [Subject]) {
        self.apiVersion = Self.descriptor.apiVersion
        self.kind = Self.descriptor.kind
        self.metadata = metadata
        self.roleRef = roleRef
        self.subjects = subjects
    }

    /// `rbac.authorization.k8s.io/v1.RoleRef`.
    public struct RoleRef: Codable, Sendable, Hashable {
        public var apiGroup: String
        public var kind: String
        public var name: String
        public init(apiGroup: String, kind: String, name: String) {
            self.apiGroup = apiGroup
            self.kind = kind
            self.name = name
        }
    }

    /// `rbac.authorization.k8s.io/v1.Subject`.
    public struct Subject: Codable, Sendable, Hashable {
        public var kind: String
        public var name: String
        public var namespace: String?
        public var apiGroup: String?
        public init(kind: String, name: String, namespace: String? = nil, apiGroup: String? = nil) {
            self.kind = kind
            self.name = name
            self.namespace = namespace
            self.apiGroup = apiGroup
        }
    }
}
