import Foundation

/// `metav1.ObjectMeta`: the metadata every persisted Kubernetes object carries.
///
/// Timestamps are kept as the RFC 3339 strings the API server sends, so that a
/// read-modify-write never reformats them.
public struct ObjectMeta: Codable, Sendable, Hashable {
    public var name: String?
    public var generateName: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    public var creationTimestamp: String?
    public var deletionTimestamp: String?
    public var deletionGracePeriodSeconds: Int64?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var ownerReferences: [OwnerReference]?
    public var finalizers: [String]?
    public var managedFields: [JSONValue]?

    public init(
        name: String? = nil,
        generateName: String? = nil,
        namespace: String? = nil,
        uid: String? = nil,
        resourceVersion: String? = nil,
        generation: Int64? = nil,
        creationTimestamp: String? = nil,
        deletionTimestamp: String? = nil,
        deletionGracePeriodSeconds: Int64? = nil,
        labels: [String: String]? = nil,
        annotations: [String: String]? = nil,
        ownerReferences: [OwnerReference]? = nil,
        finalizers: [String]? = nil,
        managedFields: [JSONValue]? = nil
    ) {
        self.name = name
        self.generateName = generateName
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.generation = generation
        self.creationTimestamp = creationTimestamp
        self.deletionTimestamp = deletionTimestamp
        self.deletionGracePeriodSeconds = deletionGracePeriodSeconds
        self.labels = labels
        self.annotations = annotations
        self.ownerReferences = ownerReferences
        self.finalizers = finalizers
        self.managedFields = managedFields
    }
}

/// `metav1.OwnerReference`: ties a child to the object that owns it, for
/// garbage collection and for mapping child events back to the owner.
public struct OwnerReference: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?

    public init(
        apiVersion: String, kind: String, name: String, uid: String,
        controller: Bool? = nil, blockOwnerDeletion: Bool? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}

/// `metav1.ListMeta`: the resourceVersion a list was read at, and the token
/// for its next page.
public struct ListMeta: Codable, Sendable, Hashable {
    public var resourceVersion: String?
    public var `continue`: String?
    public var remainingItemCount: Int64?

    public init(resourceVersion: String? = nil, continue: String? = nil, remainingItemCount: Int64? = nil) {
        self.resourceVersion = resourceVersion
        self.continue = `continue`
        self.remainingItemCount = remainingItemCount
    }
}

/// `metav1.Condition`: one observation of an object's state.
public struct Condition: Codable, Sendable, Hashable {
    public var type: String
    /// "True", "False" or "Unknown".
    public var status: String
    public var observedGeneration: Int64?
    /// RFC 3339 time at which `status` last changed.
    public var lastTransitionTime: String
    public var reason: String
    public var message: String

    public init(
        type: String, status: String, observedGeneration: Int64? = nil,
        lastTransitionTime: String, reason: String, message: String
    ) {
        self.type = type
        self.status = status
        self.observedGeneration = observedGeneration
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }
}
