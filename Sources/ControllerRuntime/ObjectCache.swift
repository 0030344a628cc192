import KubeClient

/// Reads one kind from an informer's store through the same `ObjectReader`
/// interface as the API client, so reconcilers read from memory.
public struct ObjectCache<Object: KubernetesObject>: ObjectReader {
    public let store: ObjectStore<Object>
    public let descriptor: ResourceDescriptor

    public init(store: ObjectStore<Object>, descriptor: ResourceDescriptor) {
        self.store = store
        self.descriptor = descriptor
    }

    public func get(_ name: String, in namespace: String?) async throws -> Object {
        let key = ObjectKey(namespace: descriptor.namespaced ? namespace : nil, name: name)
        guard let object = store.get(key) else {
            throw KubernetesAPIError(
                code: 404, reason: "NotFound",
                message: "\(descriptor.plural) \"\(name)\" not found in the cache",
                details: StatusDetails(name: name, group: descriptor.group, kind: descriptor.plural))
        }
        return object
    }

    /// Supports `labelSelector` and a `fieldSelector` on `metadata.name` and
    /// `metadata.namespace` (`=`, `==`, `!=`); other fields are rejected.
    public func list(in selector: NamespaceSelector, options: ListOptions) async throws -> ResourceList<Object> {
        let labels = try options.labelSelector.map { try LabelSelector(parsing: $0) }
        var namespace: String?
        if case .namespace(let name) = selector, descriptor.namespaced { namespace = name }
        var items = store.list(namespace: namespace, selector: labels)
        if let fieldSelector = options.fieldSelector, !fieldSelector.isEmpty {
            for clause in fieldSelector.split(separator: ",") {
                let negate = clause.contains("!=")
                let parts = clause.replacingOccurrences(of: "!=", with: "=").replacingOccurrences(of: "==", with: "=")
                    .split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else {
                    throw KubeClientError(.invalidRequest, "invalid field selector \"\(fieldSelector)\"")
                }
                let read: (Object) -> String?
                switch parts[0] {
                case "metadata.name": read = { $0.metadata.name }
                case "metadata.namespace": read = { $0.metadata.namespace }
                default:
                    throw KubeClientError(.invalidRequest,
                        "the cache supports field selectors on metadata.name and metadata.namespace only, not \(parts[0])")
                }
                items = items.filter { (read($0) == parts[1]) != negate }
            }
        }
        return ResourceList(apiVersion: descriptor.apiVersion, kind: descriptor.kind + "List", items: items)
    }

    /// Children whose ownerReferences name `uid`.
    public func list(ownedBy uid: String) -> [Object] { store.list(ownerUID: uid) }
}
