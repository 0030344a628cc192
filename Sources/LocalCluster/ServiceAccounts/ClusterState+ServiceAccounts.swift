import Foundation
import KubeClient

extension ClusterState {
    /// The name of the ServiceAccount every namespace gets, and that Pods
    /// naming none run as.
    static let defaultServiceAccount = "default"

    /// Creates the `default` ServiceAccount in `namespace` unless it exists
    /// or the namespace is being deleted, as kube-controller-manager's
    /// serviceaccount controller does. Caller holds the lock.
    func ensureDefaultServiceAccountLocked(in namespace: String) throws {
        let namespaceType = types[Self.typeKey("", "v1", "namespaces")]!
        guard let object = objects[namespaceType.storageName]?[namespace], object["metadata"]?["deletionTimestamp"] == nil
        else { return }
        let type = types[Self.typeKey("", "v1", "serviceaccounts")]!
        let key = Self.objectKey(namespace: namespace, name: Self.defaultServiceAccount)
        if objects[type.storageName]?[key] != nil { return }
        let account: JSONValue = .object([
            "apiVersion": .string("v1"), "kind": .string("ServiceAccount"),
            "metadata": .object(["name": .string(Self.defaultServiceAccount), "namespace": .string(namespace)]),
        ])
        _ = try createLocked(type, namespace: namespace, body: account)
    }

    /// Gives every existing namespace its `default` ServiceAccount (for data
    /// written before the server made them).
    func ensureDefaultServiceAccounts() throws {
        try lock.withLock {
            let namespaceType = types[Self.typeKey("", "v1", "namespaces")]!
            for name in (objects[namespaceType.storageName] ?? [:]).keys.sorted() {
                try ensureDefaultServiceAccountLocked(in: name)
            }
        }
    }

    /// The uid of the core/v1 object `plural` `namespace/name`, read from
    /// memory; nil when it does not exist. Never blocks on SQLite.
    func uid(ofCore plural: String, namespace: String, name: String) -> String? {
        lock.withLock {
            objects[plural]?[Self.objectKey(namespace: namespace, name: name)]?["metadata"]?["uid"]?.stringValue
        }
    }
}
