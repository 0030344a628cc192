/// Describes where a kind of object lives in the Kubernetes API.
public struct ResourceDescriptor: Sendable, Hashable {
    /// API group; empty for the core group (`/api/v1`).
    public var group: String
    public var version: String
    public var kind: String
    /// Lower-case plural used in URLs, for example `pods` or `trainingjobs`.
    public var plural: String
    public var namespaced: Bool

    public init(group: String, version: String, kind: String, plural: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced
    }

    /// `v1` for the core group, `group/version` otherwise.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
}

/// Anything with Kubernetes object metadata that travels as JSON: typed
/// resources and `UnstructuredObject`.
public protocol KubernetesObject: Codable, Sendable {
    var metadata: ObjectMeta { get set }
}

/// A typed Kubernetes object that the client can read and write.
public protocol KubernetesResource: KubernetesObject {
    static var descriptor: ResourceDescriptor { get }
    var metadata: ObjectMeta { get set }
}

/// A resource with a `/status` subresource; only these get status verbs.
public protocol HasStatusSubresource: KubernetesResource {}

/// A `List` answer from the API server.
public struct ResourceList<Item: Codable & Sendable>: Codable, Sendable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ListMeta
    public var items: [Item]

    public init(apiVersion: String? = nil, kind: String? = nil, metadata: ListMeta = ListMeta(), items: [Item]) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.items = items
    }
}
