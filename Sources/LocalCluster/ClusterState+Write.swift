import Foundation
import KubeClient

extension ClusterState {
    /// Creates an object. `namespace` is the namespace of the request path.
    /// `strictFields` (`fieldValidation=Strict`) rejects unknown fields of custom resources instead of pruning them.
    func create(_ type: ResourceType, namespace: String?, body: JSONValue, dryRun: Bool = false, strictFields: Bool = false) throws -> JSONValue {
        try lock.withLock { served(try createLocked(type, namespace: namespace, body: body, dryRun: dryRun, strictFields: strictFields), as: type) }
    }

    func createLocked(_ type: ResourceType, namespace: String?, body: JSONValue, dryRun: Bool = false, strictFields: Bool = false) throws -> JSONValue {
        guard case .object = body else { throw APIError.badRequest("the body of the request is not a JSON object") }
        var object = body
        try checkKind(type, object)
        object["apiVersion"] = .string(type.apiVersion)
        object["kind"] = .string(type.kind)
        var metadata = object["metadata"]?.objectValue ?? [:]
        if type.namespaced {
            guard let namespace else { throw APIError.badRequest("the server could not find the requested resource (namespace required)") }
            if let bodyNamespace = metadata["namespace"]?.stringValue, !bodyNamespace.isEmpty, bodyNamespace != namespace {
                throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            metadata["namespace"] = .string(namespace)
            let namespaceType = types[Self.typeKey("", "v1", "namespaces")]!
            guard let ns = objects[namespaceType.storageName]?[namespace] else {
                throw APIError.notFound(namespaceType, namespace)
            }
            if ns["metadata"]?["deletionTimestamp"] != nil {
                throw APIError(code: 403, reason: "Forbidden",
                               message: "\(type.plural)\(type.groupSuffix) \"\(metadata["name"]?.stringValue ?? "")\" is forbidden: unable to create new content in namespace \(namespace) because it is being terminated")
            }
        } else {
            metadata.removeValue(forKey: "namespace")
        }
        var name = metadata["name"]?.stringValue ?? ""
        if name.isEmpty {
            guard let prefix = metadata["generateName"]?.stringValue, !prefix.isEmpty else {
                throw APIError.invalid(type, "", [.init(reason: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name")])
            }
            let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
            repeat {
                name = prefix + String((0..<5).map { _ in alphabet.randomElement()! })
            } while objects[type.storageName]?[Self.objectKey(namespace: namespace, name: name)] != nil
            metadata["name"] = .string(name)
        }
        let key = Self.objectKey(namespace: type.namespaced ? namespace : nil, name: name)
        metadata["uid"] = .string(UUID().uuidString.lowercased())
        metadata["creationTimestamp"] = .string(timestamp())
        metadata["generation"] = .integer(1)
        metadata.removeValue(forKey: "deletionTimestamp")
        metadata.removeValue(forKey: "deletionGracePeriodSeconds")
        metadata.removeValue(forKey: "resourceVersion")
        object["metadata"] = .object(metadata)
        if type.isCustom && type.hasStatus { object["status"] = nil }
        object = try prepareForCreate(type, object, strictFields: strictFields)
        try ObjectValidator.validate(type, object)
        if objects[type.storageName]?[key] != nil { throw APIError.alreadyExists(type, name) }
        if dryRun { return object }
        let stored = try commit(type, key: key, object: object, previous: nil, eventType: "ADDED")
        if type.group == "apiextensions.k8s.io" && type.plural == "customresourcedefinitions" { registerCustomTypes(stored) }
        if type.group.isEmpty && type.plural == "namespaces" { try ensureDefaultServiceAccountLocked(in: name) }
        return stored
    }

    private func checkKind(_ type: ResourceType, _ object: JSONValue) throws {
        if let kind = object["kind"]?.stringValue, !kind.isEmpty, kind != type.kind {
            throw APIError.badRequest("the API version in the data (\(object["apiVersion"]?.stringValue ?? "")) does not match the expected API version (\(type.apiVersion)) or kind \(kind) is not \(type.kind)")
        }
        if let apiVersion = object["apiVersion"]?.stringValue, !apiVersion.isEmpty {
            let group = apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : ""
            if group != type.group {
                throw APIError.badRequest("the API version in the data (\(apiVersion)) does not match the expected API version (\(type.apiVersion))")
            }
        }
    }

    /// Kind-specific defaults and checks on create.
    private func prepareForCreate(_ type: ResourceType, _ input: JSONValue, strictFields: Bool) throws -> JSONValue {
        var object = input
        switch (type.group, type.plural) {
        case ("", "pods"):
            guard let containers = object["spec"]?["containers"]?.arrayValue, !containers.isEmpty else {
                throw APIError.invalid(type, object["metadata"]?["name"]?.stringValue ?? "", [.init(reason: "FieldValueRequired", message: "Required value", field: "spec.containers")])
            }
            if object["spec"]?["restartPolicy"] == nil { object["spec"]?["restartPolicy"] = .string("Always") }
            if object["spec"]?["terminationGracePeriodSeconds"] == nil { object["spec"]?["terminationGracePeriodSeconds"] = .integer(30) }
            if object["spec"]?["schedulerName"] == nil { object["spec"]?["schedulerName"] = .string("default-scheduler") }
            if object["spec"]?["dnsPolicy"] == nil { object["spec"]?["dnsPolicy"] = .string("ClusterFirst") }
            object["status"] = .object(["phase": .string("Pending"), "qosClass": .string("BestEffort")])
        case ("", "namespaces"):
            object["status"] = .object(["phase": .string("Active")])
            var labels = object["metadata"]?["labels"]?.objectValue ?? [:]
            labels["kubernetes.io/metadata.name"] = object["metadata"]?["name"]
            object["metadata"]?["labels"] = .object(labels)
        case ("", "secrets"):
            object = Self.foldStringData(object)
        case ("", "persistentvolumeclaims"):
            if object["status"] == nil { object["status"] = .object(["phase": .string("Pending")]) }
        case ("", "services"):
            if object["spec"]?["type"] == nil { object["spec"]?["type"] = .string("ClusterIP") }
            if object["spec"]?["sessionAffinity"] == nil { object["spec"]?["sessionAffinity"] = .string("None") }
        case ("apiextensions.k8s.io", "customresourcedefinitions"):
            object = try prepareCustomResourceDefinition(object)
        default:
            if type.isCustom { object = try validateCustom(type, object, old: nil, strict: strictFields) }
        }
        return object
    }

    // MARK: Update

    /// Replaces an object (PUT). `subresource` is nil or `status`.
    func update(_ type: ResourceType, namespace: String?, name: String, body: JSONValue, subresource: String?, strictFields: Bool = false) throws -> JSONValue {
        try lock.withLock {
            served(try updateLocked(type, namespace: namespace, name: name, body: body, subresource: subresource, strictFields: strictFields), as: type)
        }
    }

    func updateLocked(_ type: ResourceType, namespace: String?, name: String, body: JSONValue, subresource: String?, dryRun: Bool = false,
                      strictFields: Bool = false) throws -> JSONValue {
        let key = Self.objectKey(namespace: type.namespaced ? namespace : nil, name: name)
        guard let old = objects[type.storageName]?[key] else { throw APIError.notFound(type, name) }
        guard case .object = body else { throw APIError.badRequest("the body of the request is not a JSON object") }
        try checkKind(type, body)
        if let bodyName = body["metadata"]?["name"]?.stringValue, bodyName != name {
            throw APIError.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        if let rv = body["metadata"]?["resourceVersion"]?.stringValue, !rv.isEmpty,
           rv != old["metadata"]?["resourceVersion"]?.stringValue {
            throw APIError.conflict(type, name, "the object has been modified; please apply your changes to the latest version and try again")
        }
        var object: JSONValue
        if subresource == "status" {
            object = old
            object["status"] = body["status"]
        } else {
            object = body
            object["apiVersion"] = .string(type.apiVersion)
            object["kind"] = .string(type.kind)
            if type.hasStatus { object["status"] = old["status"] }
            var metadata = object["metadata"]?.objectValue ?? [:]
            for field in ["uid", "creationTimestamp", "namespace", "name", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"] {
                metadata[field] = old["metadata"]?[field]
            }
            if old["metadata"]?["deletionTimestamp"] != nil {
                let oldFinalizers = Set((old["metadata"]?["finalizers"]?.arrayValue ?? []).compactMap(\.stringValue))
                let newFinalizers = (metadata["finalizers"]?.arrayValue ?? []).compactMap(\.stringValue)
                if let added = newFinalizers.first(where: { !oldFinalizers.contains($0) }) {
                    throw APIError.invalid(type, name, [.init(reason: "FieldValueForbidden", message: "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"\(added)\"}", field: "metadata.finalizers")])
                }
            }
            object["metadata"] = .object(metadata)
            if type.plural == "customresourcedefinitions" && type.group == "apiextensions.k8s.io" {
                object = try prepareCustomResourceDefinition(object)
                object["status"] = old["status"]
            }
            if type.group == "" && type.plural == "namespaces" { object["status"] = old["status"] }
        }
        if type.isCustom { object = try validateCustom(type, object, old: old, strict: strictFields) }
        if type.group.isEmpty && type.plural == "secrets" { object = Self.foldStringData(object) }
        try ObjectValidator.validate(type, object, metadataOnly: subresource == "status")
        if Self.withoutVolatile(object) == Self.withoutVolatile(old) { return old }
        if Self.specPart(object) != Self.specPart(old) {
            object["metadata"]?["generation"] = .integer((old["metadata"]?["generation"]?.intValue ?? 1) + 1)
        }
        if dryRun { return object }
        let gracefulPodPending = type.group == "" && type.plural == "pods"
            && (object["metadata"]?["deletionGracePeriodSeconds"]?.intValue ?? 0) > 0
        if object["metadata"]?["deletionTimestamp"] != nil, (object["metadata"]?["finalizers"]?.arrayValue ?? []).isEmpty,
           !(old["metadata"]?["finalizers"]?.arrayValue ?? []).isEmpty, !gracefulPodPending {
            // The last finalizer was removed from an object being deleted.
            return try commit(type, key: key, object: nil, previous: object, eventType: "DELETED")
        }
        let stored = try commit(type, key: key, object: object, previous: old, eventType: "MODIFIED")
        if type.group == "apiextensions.k8s.io" { registerCustomTypes(stored) }
        return stored
    }

    /// A Secret's write-only `stringData` is merged into `data` (base64), as Kubernetes does.
    static func foldStringData(_ secret: JSONValue) -> JSONValue {
        guard let strings = secret["stringData"]?.objectValue else { return secret }
        var copy = secret
        var data = copy["data"]?.objectValue ?? [:]
        for (key, value) in strings {
            data[key] = .string(Data((value.stringValue ?? "").utf8).base64EncodedString())
        }
        copy["data"] = .object(data)
        copy["stringData"] = nil
        return copy
    }

    static func withoutVolatile(_ object: JSONValue) -> JSONValue {
        var copy = object
        copy["metadata"]?["resourceVersion"] = nil
        copy["metadata"]?["managedFields"] = nil
        return copy
    }

    /// Everything except metadata and status: a change here bumps generation.
    static func specPart(_ object: JSONValue) -> JSONValue {
        var copy = object
        copy["metadata"] = nil
        copy["status"] = nil
        return copy
    }

    // MARK: Patch

    /// Applies a patch (PATCH). `contentType` selects the patch type.
    /// `dryRun` answers the object the patch would store, and stores nothing.
    func patch(_ type: ResourceType, namespace: String?, name: String, contentType: String, body: Data,
               subresource: String?, fieldManager: String?, force: Bool, strictFields: Bool = false, dryRun: Bool = false) throws -> JSONValue {
        try lock.withLock {
            let key = Self.objectKey(namespace: type.namespaced ? namespace : nil, name: name)
            let old = objects[type.storageName]?[key]
            let patchType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if patchType == "application/apply-patch+yaml" || patchType == "application/apply-patch+json" {
                let applied = try ServerSideApply.decode(body)
                guard let old else {
                    guard subresource == nil else { throw APIError.notFound(type, name) }
                    var object = applied
                    object["metadata"]?["name"] = .string(name)
                    return served(try createLocked(type, namespace: namespace, body: object, dryRun: dryRun, strictFields: strictFields), as: type)
                }
                var merged = PatchApplier.merge(old, ServerSideApply.mergeable(applied))
                merged["metadata"]?["resourceVersion"] = applied["metadata"]?["resourceVersion"] ?? old["metadata"]?["resourceVersion"]
                return served(try updateLocked(type, namespace: namespace, name: name, body: merged, subresource: subresource, dryRun: dryRun, strictFields: strictFields), as: type)
            }
            guard let old else { throw APIError.notFound(type, name) }
            let patch: JSONValue
            do { patch = try JSONCoding.decode(body) } catch {
                throw APIError.badRequest("error decoding patch: \(error)")
            }
            var result: JSONValue
            switch patchType {
            case "application/merge-patch+json":
                result = PatchApplier.merge(old, patch)
            case "application/strategic-merge-patch+json":
                guard type.supportsStrategicMerge else {
                    throw APIError(code: 415, reason: "UnsupportedMediaType",
                                   message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
                }
                result = PatchApplier.strategicMerge(old, patch)
            case "application/json-patch+json":
                result = try PatchApplier.jsonPatch(old, patch)
            default:
                throw APIError(code: 415, reason: "UnsupportedMediaType",
                               message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json")
            }
            if patch["metadata"]?["resourceVersion"] == nil && patchType != "application/json-patch+json" {
                result["metadata"]?["resourceVersion"] = old["metadata"]?["resourceVersion"]
            }
            return served(try updateLocked(type, namespace: namespace, name: name, body: result, subresource: subresource, dryRun: dryRun, strictFields: strictFields), as: type)
        }
    }

    // MARK: Delete

    /// Deletes an object, honouring finalizers, graceful pod deletion and the
    /// propagation policy. Returns the object as it is after the call (with
    /// deletionTimestamp if it lingers, or its last state if it is gone).
    func delete(_ type: ResourceType, namespace: String?, name: String, options: DeleteRequestOptions) throws -> JSONValue {
        try lock.withLock { served(try deleteLocked(type, namespace: namespace, name: name, options: options), as: type) }
    }

    func deleteLocked(_ type: ResourceType, namespace: String?, name: String, options: DeleteRequestOptions) throws -> JSONValue {
        let key = Self.objectKey(namespace: type.namespaced ? namespace : nil, name: name)
        guard var object = objects[type.storageName]?[key] else { throw APIError.notFound(type, name) }
        let old = object
        if let uid = options.preconditionUID, uid != object["metadata"]?["uid"]?.stringValue {
            throw APIError.conflict(type, name, "Precondition failed: UID in precondition: \(uid), UID in object meta: \(object["metadata"]?["uid"]?.stringValue ?? "")")
        }
        if let rv = options.preconditionResourceVersion, rv != object["metadata"]?["resourceVersion"]?.stringValue {
            throw APIError.conflict(type, name, "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(object["metadata"]?["resourceVersion"]?.stringValue ?? "")")
        }
        if type.group == "" && type.plural == "namespaces" {
            if ["default", "kube-system", "kube-public"].contains(name) {
                throw APIError(code: 403, reason: "Forbidden", message: "namespaces \"\(name)\" is forbidden: this namespace may not be deleted")
            }
            if object["metadata"]?["deletionTimestamp"] != nil { return object }
            object["metadata"]?["deletionTimestamp"] = .string(timestamp())
            object["metadata"]?["deletionGracePeriodSeconds"] = .integer(0)
            object["status"] = .object(["phase": .string("Terminating")])
            collectorDirty = true
            return try commit(type, key: key, object: object, previous: old, eventType: "MODIFIED")
        }
        var finalizers = (object["metadata"]?["finalizers"]?.arrayValue ?? []).compactMap(\.stringValue)
        let alreadyDeleting = object["metadata"]?["deletionTimestamp"] != nil
        // Graceful pod deletion: a pod that a node runs is marked and the node agent finishes it.
        if type.group == "" && type.plural == "pods" {
            let phase = object["status"]?["phase"]?.stringValue ?? "Pending"
            let scheduled = !(object["spec"]?["nodeName"]?.stringValue ?? "").isEmpty
            let grace = options.gracePeriodSeconds ?? object["spec"]?["terminationGracePeriodSeconds"]?.intValue ?? 30
            if scheduled && grace > 0 && phase != "Succeeded" && phase != "Failed" {
                let current = object["metadata"]?["deletionGracePeriodSeconds"]?.intValue
                if alreadyDeleting, let current, current <= grace { return object }
                object["metadata"]?["deletionTimestamp"] = .string(timestamp(now().addingTimeInterval(TimeInterval(grace))))
                object["metadata"]?["deletionGracePeriodSeconds"] = .integer(grace)
                if !alreadyDeleting { addPropagationFinalizer(&finalizers, options) }
                if !finalizers.isEmpty { object["metadata"]?["finalizers"] = .array(finalizers.map(JSONValue.string)) }
                return try commit(type, key: key, object: object, previous: old, eventType: "MODIFIED")
            }
        }
        if !alreadyDeleting { addPropagationFinalizer(&finalizers, options) }
        if finalizers.isEmpty {
            if type.group == "apiextensions.k8s.io" && type.plural == "customresourcedefinitions" { try removeCustomResources(of: object) }
            return try commit(type, key: key, object: nil, previous: object, eventType: "DELETED")
        }
        if alreadyDeleting && object["metadata"]?["finalizers"]?.arrayValue?.count == finalizers.count { return object }
        if !alreadyDeleting {
            object["metadata"]?["deletionTimestamp"] = .string(timestamp())
            object["metadata"]?["deletionGracePeriodSeconds"] = .integer(0)
        }
        object["metadata"]?["finalizers"] = .array(finalizers.map(JSONValue.string))
        collectorDirty = true
        return try commit(type, key: key, object: object, previous: old, eventType: "MODIFIED")
    }

    private func addPropagationFinalizer(_ finalizers: inout [String], _ options: DeleteRequestOptions) {
        switch options.propagationPolicy {
        case "Foreground": if !finalizers.contains("foregroundDeletion") { finalizers.append("foregroundDeletion") }
        case "Orphan": if !finalizers.contains("orphan") { finalizers.append("orphan") }
        default: break
        }
    }
}
