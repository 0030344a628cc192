import Foundation
import KubeClient

extension ClusterState {
    /// One pass of the garbage collector, run periodically by the server:
    ///
    /// - a dependent whose owners (by `ownerReferences` uid) are all gone is
    ///   deleted (background propagation); dangling references next to a
    ///   living owner are removed;
    /// - an owner being deleted with the `foregroundDeletion` finalizer has its
    ///   dependents deleted, and loses the finalizer once no dependent with
    ///   `blockOwnerDeletion: true` remains;
    /// - an owner being deleted with the `orphan` finalizer has its
    ///   dependents' references to it removed, then loses the finalizer;
    /// - a namespace being deleted has its contents deleted, then goes.
    ///
    /// Returns whether it changed anything.
    @discardableResult
    func collectGarbage() throws -> Bool {
        try lock.withLock {
            guard collectorDirty else { return false }
            collectorDirty = false
            var changed = false
            let typesByStorage = Dictionary(types.values.map { ($0.storageName, $0) }, uniquingKeysWith: { a, _ in a })
            // Owners being deleted with a propagation finalizer.
            var dependentsByOwner: [String: [(String, String)]] = [:]
            for (storage, store) in objects {
                for (key, object) in store {
                    for reference in object["metadata"]?["ownerReferences"]?.arrayValue ?? [] {
                        if let uid = reference["uid"]?.stringValue { dependentsByOwner[uid, default: []].append((storage, key)) }
                    }
                }
            }
            for (storage, store) in objects {
                guard let type = typesByStorage[storage] else { continue }
                for (key, object) in store where object["metadata"]?["deletionTimestamp"] != nil {
                    let finalizers = (object["metadata"]?["finalizers"]?.arrayValue ?? []).compactMap(\.stringValue)
                    guard let uid = object["metadata"]?["uid"]?.stringValue else { continue }
                    let dependents = dependentsByOwner[uid] ?? []
                    if finalizers.contains("orphan") {
                        for (dependentStorage, dependentKey) in dependents {
                            guard let dependentType = typesByStorage[dependentStorage],
                                  var dependent = objects[dependentStorage]?[dependentKey] else { continue }
                            let previous = dependent
                            let references = (dependent["metadata"]?["ownerReferences"]?.arrayValue ?? []).filter { $0["uid"]?.stringValue != uid }
                            dependent["metadata"]?["ownerReferences"] = references.isEmpty ? nil : .array(references)
                            try commit(dependentType, key: dependentKey, object: dependent, previous: previous, eventType: "MODIFIED")
                        }
                        try removeFinalizer("orphan", type, key)
                        changed = true
                    } else if finalizers.contains("foregroundDeletion") {
                        var blocking = false
                        for (dependentStorage, dependentKey) in dependents {
                            guard let dependentType = typesByStorage[dependentStorage],
                                  let dependent = objects[dependentStorage]?[dependentKey] else { continue }
                            let reference = (dependent["metadata"]?["ownerReferences"]?.arrayValue ?? []).first { $0["uid"]?.stringValue == uid }
                            if reference?["blockOwnerDeletion"]?.boolValue == true { blocking = true }
                            if dependent["metadata"]?["deletionTimestamp"] == nil {
                                _ = try deleteLocked(dependentType, namespace: dependent["metadata"]?["namespace"]?.stringValue,
                                                     name: dependent["metadata"]?["name"]?.stringValue ?? "",
                                                     options: DeleteRequestOptions(propagationPolicy: "Foreground"))
                                changed = true
                            }
                        }
                        if !blocking {
                            try removeFinalizer("foregroundDeletion", type, key)
                            changed = true
                        }
                    }
                }
            }
            // Dependents whose owners are gone.
            for (storage, store) in objects {
                guard let type = typesByStorage[storage] else { continue }
                for (key, object) in store {
                    let references = object["metadata"]?["ownerReferences"]?.arrayValue ?? []
                    if references.isEmpty { continue }
                    let living = references.filter { reference in
                        guard let uid = reference["uid"]?.stringValue else { return false }
                        return uidIndex[uid] != nil
                    }
                    if living.isEmpty {
                        if object["metadata"]?["deletionTimestamp"] == nil {
                            _ = try deleteLocked(type, namespace: object["metadata"]?["namespace"]?.stringValue,
                                                 name: object["metadata"]?["name"]?.stringValue ?? "", options: DeleteRequestOptions())
                            changed = true
                        }
                    } else if living.count != references.count {
                        var updated = object
                        updated["metadata"]?["ownerReferences"] = .array(living)
                        try commit(type, key: key, object: updated, previous: object, eventType: "MODIFIED")
                        changed = true
                    }
                }
            }
            // Namespaces being deleted.
            let namespaceType = types[Self.typeKey("", "v1", "namespaces")]!
            for (name, namespace) in objects[namespaceType.storageName] ?? [:] where namespace["metadata"]?["deletionTimestamp"] != nil {
                var empty = true
                for (storage, store) in objects {
                    guard let type = typesByStorage[storage], type.namespaced else { continue }
                    for (_, object) in store where object["metadata"]?["namespace"]?.stringValue == name {
                        empty = false
                        if object["metadata"]?["deletionTimestamp"] == nil {
                            _ = try deleteLocked(type, namespace: name, name: object["metadata"]?["name"]?.stringValue ?? "", options: DeleteRequestOptions())
                            changed = true
                        }
                    }
                }
                if empty {
                    try commit(namespaceType, key: name, object: nil, previous: namespace, eventType: "DELETED")
                    changed = true
                } else {
                    collectorDirty = true
                }
            }
            if changed { collectorDirty = true }
            return changed
        }
    }

    private func removeFinalizer(_ finalizer: String, _ type: ResourceType, _ key: String) throws {
        guard var object = objects[type.storageName]?[key] else { return }
        let previous = object
        let remaining = (object["metadata"]?["finalizers"]?.arrayValue ?? []).filter { $0.stringValue != finalizer }
        if remaining.isEmpty {
            object["metadata"]?["finalizers"] = nil
            try commit(type, key: key, object: nil, previous: object, eventType: "DELETED")
        } else {
            object["metadata"]?["finalizers"] = .array(remaining)
            try commit(type, key: key, object: object, previous: previous, eventType: "MODIFIED")
        }
    }
}
