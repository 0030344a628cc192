import KubeClient

/// Where a controller's work comes from: an informer and a mapping from its
/// events to reconcile requests.
public struct ControllerSource: Sendable {
    public let name: String
    let hasSynced: @Sendable () -> Bool
    let waitForSync: @Sendable () async -> Void
    let pump: @Sendable (WorkQueue<ReconcileRequest>) async -> Void

    /// Each change of an object enqueues the object itself.
    public static func primary<Object>(_ informer: Informer<Object>) -> ControllerSource {
        mapped(informer, name: "primary \(informer.descriptor.plural)") { [ReconcileRequest(ObjectKey($0.metadata))] }
    }

    /// Each change of a child enqueues its controlling owner of kind `owner`
    /// (the ownerReference with `controller: true`, matching group and kind).
    /// An update that moves the child to another owner enqueues both.
    public static func owned<Object>(_ informer: Informer<Object>, by owner: ResourceDescriptor) -> ControllerSource {
        mapped(informer, name: "owned \(informer.descriptor.plural)") { object in
            controllerOwner(of: object.metadata, kind: owner).map { [$0] } ?? []
        }
    }

    /// Each change of an object enqueues the requests `map` returns.
    public static func mapped<Object>(
        _ informer: Informer<Object>, name: String? = nil,
        map: @escaping @Sendable (Object) -> [ReconcileRequest]
    ) -> ControllerSource {
        ControllerSource(
            name: name ?? "mapped \(informer.descriptor.plural)",
            hasSynced: { informer.hasSynced },
            waitForSync: { await informer.waitForSync() },
            pump: { queue in
                for await event in informer.subscribe() {
                    var requests: [ReconcileRequest] = []
                    switch event {
                    case .added(let object), .deleted(let object):
                        requests = map(object)
                    case .updated(let old, let new):
                        requests = map(new)
                        for request in map(old) where !requests.contains(request) { requests.append(request) }
                    }
                    for request in requests { await queue.add(request) }
                }
            })
    }

    /// The request for the controlling owner of kind `kind`, if any.
    public static func controllerOwner(of metadata: ObjectMeta, kind: ResourceDescriptor) -> ReconcileRequest? {
        guard let reference = metadata.ownerReferences?.first(where: { $0.controller == true }) else { return nil }
        let group = reference.apiVersion.contains("/") ? String(reference.apiVersion.split(separator: "/")[0]) : ""
        guard reference.kind == kind.kind, group == kind.group else { return nil }
        return ReconcileRequest(namespace: kind.namespaced ? metadata.namespace : nil, name: reference.name)
    }
}
