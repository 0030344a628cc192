import KubeClient

/// The informer's in-memory copy of one kind, indexed by namespace, owner UID
/// and label. Written only by its informer; read by anyone. Safe to use from
/// any task (reads are synchronous and never wait on the network).
public final class ObjectStore<Object: KubernetesObject>: Sendable {
    struct State {
        var objects: [ObjectKey: Object] = [:]
        var byNamespace: [String: Set<ObjectKey>] = [:]
        var byOwnerUID: [String: Set<ObjectKey>] = [:]
        var byLabel: [String: Set<ObjectKey>] = [:]
    }

    private let state = LockedState(State())

    public init() {}

    public var count: Int { state.withLock { $0.objects.count } }

    public func get(_ key: ObjectKey) -> Object? { state.withLock { $0.objects[key] } }

    /// All objects, sorted by key.
    public func list() -> [Object] {
        state.withLock { state in state.objects.sorted { $0.key < $1.key }.map(\.value) }
    }

    public var keys: [ObjectKey] { state.withLock { $0.objects.keys.sorted() } }

    /// Objects in one namespace.
    public func list(namespace: String) -> [Object] {
        state.withLock { state in
            (state.byNamespace[namespace] ?? []).sorted().compactMap { state.objects[$0] }
        }
    }

    /// Objects with an ownerReference to `uid` (controller or not).
    public func list(ownerUID uid: String) -> [Object] {
        state.withLock { state in
            (state.byOwnerUID[uid] ?? []).sorted().compactMap { state.objects[$0] }
        }
    }

    /// Objects carrying label `key=value`.
    public func list(label key: String, value: String) -> [Object] {
        state.withLock { state in
            (state.byLabel["\(key)=\(value)"] ?? []).sorted().compactMap { state.objects[$0] }
        }
    }

    /// Objects matching a selector (the label index narrows the scan when the
    /// selector has an equality requirement).
    public func list(namespace: String?, selector: LabelSelector?) -> [Object] {
        state.withLock { state in
            var candidates: Set<ObjectKey>?
            if let namespace { candidates = state.byNamespace[namespace] ?? [] }
            if let selector {
                for case .equals(let key, let value) in selector.requirements {
                    let labelled = state.byLabel["\(key)=\(value)"] ?? []
                    candidates = candidates.map { $0.intersection(labelled) } ?? labelled
                }
            }
            let keys = candidates.map { Array($0) } ?? Array(state.objects.keys)
            return keys.sorted().compactMap { key -> Object? in
                guard let object = state.objects[key] else { return nil }
                if let selector, !selector.matches(object.metadata.labels) { return nil }
                return object
            }
        }
    }

    /// Inserts or replaces an object; returns the previous one.
    @discardableResult
    public func upsert(_ object: Object) -> Object? {
        let key = ObjectKey(object.metadata)
        return state.withLock { state in
            let old = state.objects[key]
            if let old { Self.unindex(old, key: key, in: &state) }
            state.objects[key] = object
            Self.index(object, key: key, in: &state)
            return old
        }
    }

    /// Removes an object; returns it if it was present.
    @discardableResult
    public func remove(_ key: ObjectKey) -> Object? {
        state.withLock { state in
            guard let old = state.objects.removeValue(forKey: key) else { return nil }
            Self.unindex(old, key: key, in: &state)
            return old
        }
    }

    /// Replaces the whole content (after a relist) and returns what changed.
    func replace(with objects: [Object]) -> (added: [Object], updated: [(old: Object, new: Object)], deleted: [Object]) {
        state.withLock { state in
            var fresh = State()
            var added: [Object] = []
            var updated: [(Object, Object)] = []
            for object in objects {
                let key = ObjectKey(object.metadata)
                if let old = state.objects[key] {
                    if old.metadata.resourceVersion != object.metadata.resourceVersion
                        || old.metadata.uid != object.metadata.uid {
                        updated.append((old, object))
                    }
                } else {
                    added.append(object)
                }
                fresh.objects[key] = object
                Self.index(object, key: key, in: &fresh)
            }
            let deleted = state.objects.filter { fresh.objects[$0.key] == nil }.sorted { $0.key < $1.key }.map(\.value)
            state = fresh
            return (added, updated.map { (old: $0.0, new: $0.1) }, deleted)
        }
    }

    private static func index(_ object: Object, key: ObjectKey, in state: inout State) {
        state.byNamespace[key.namespace ?? "", default: []].insert(key)
        for reference in object.metadata.ownerReferences ?? [] {
            state.byOwnerUID[reference.uid, default: []].insert(key)
        }
        for (label, value) in object.metadata.labels ?? [:] {
            state.byLabel["\(label)=\(value)", default: []].insert(key)
        }
    }

    private static func unindex(_ object: Object, key: ObjectKey, in state: inout State) {
        func drop(_ index: inout [String: Set<ObjectKey>], _ name: String) {
            index[name]?.remove(key)
            if index[name]?.isEmpty == true { index[name] = nil }
        }
        drop(&state.byNamespace, key.namespace ?? "")
        for reference in object.metadata.ownerReferences ?? [] { drop(&state.byOwnerUID, reference.uid) }
        for (label, value) in object.metadata.labels ?? [:] { drop(&state.byLabel, "\(label)=\(value)") }
    }
}
