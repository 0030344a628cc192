/// `core/v1.Event`: something that happened to an object, for `kubectl describe`.
public struct Event: KubernetesResource, Hashable {
    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "Event", plural: "events", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var involvedObject: ObjectReference
    public var reason: String?
    public var message: String?
    /// `Normal` or `Warning`.
    public var type: String?
    public var count: Int32?
    /// RFC 3339.
    public var firstTimestamp: String?
    public var lastTimestamp: String?
    /// RFC 3339 with microseconds.
    public var eventTime: String?
    public var source: EventSource?
    public var reportingComponent: String?
    public var reportingInstance: String?
    public var action: String?

    public init(
        metadata: ObjectMeta, involvedObject: ObjectReference, reason: String? = nil,
        message: String? = nil, type: String? = nil, count: Int32? = nil,
        firstTimestamp: String? = nil, lastTimestamp: String? = nil, eventTime: String? = nil,
        source: EventSource? = nil, reportingComponent: String? = nil,
        reportingInstance: String? = nil, action: String? = nil
    ) {
        self.apiVersion = Self.descriptor.apiVersion
        self.kind = Self.descriptor.kind
        self.metadata = metadata
        self.involvedObject = involvedObject
        self.reason = reason
        self.message = message
        self.type = type
        self.count = count
        self.firstTimestamp = firstTimestamp
        self.lastTimestamp = lastTimestamp
        self.eventTime = eventTime
        self.source = source
        self.reportingComponent = reportingComponent
        self.reportingInstance = reportingInstance
        self.action = action
    }
}

/// `core/v1.EventSource`.
public struct EventSource: Codable, Sendable, Hashable {
    public var component: String?
    public var host: String?
    public init(component: String? = nil, host: String? = nil) {
        self.component = component
        self.host = host
    }
}

/// `core/v1.ObjectReference`.
public struct ObjectReference: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var namespace: String?
    public var name: String?
    public var uid: String?
    public var resourceVersion: String?
    public var fieldPath: String?

    public init(
        apiVersion: String? = nil, kind: String? = nil, namespace: String? = nil, name: String? = nil,
        uid: String? = nil, resourceVersion: String? = nil, fieldPath: String? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.fieldPath = fieldPath
    }

    /// A reference to `object`.
    public init<T: KubernetesResource>(to object: T) {
        self.init(
            apiVersion: T.descriptor.apiVersion, kind: T.descriptor.kind,
            namespace: object.metadata.namespace, name: object.metadata.name,
            uid: object.metadata.uid, resourceVersion: object.metadata.resourceVersion)
    }
}

/// `events.k8s.io/v1.Event`, the newer event API.
public struct EventsV1Event: KubernetesResource, Hashable {
    public static let descriptor = ResourceDescriptor(
        group: "events.k8s.io", version: "v1", kind: "Event", plural: "events", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// RFC 3339 with microseconds; required by the API.
    public var eventTime: String?
    public var regarding: ObjectReference?
    public var related: ObjectReference?
    public var reason: String?
    public var note: String?
    /// `Normal` or `Warning`.
    public var type: String?
    public var action: String?
    public var reportingController: String?
    public var reportingInstance: String?

    public init(
        metadata: ObjectMeta, eventTime: String? = nil, regarding: ObjectReference? = nil,
        related: ObjectReference? = nil, reason: String? = nil, note: String? = nil, type: String? = nil,
        action: String? = nil, reportingController: String? = nil, reportingInstance: String? = nil
    ) {
        self.apiVersion = Self.descriptor.apiVersion
        self.kind = Self.descriptor.kind
        self.metadata = metadata
        self.eventTime = eventTime
        self.regarding = regarding
        self.related = related
        self.reason = reason
        self.note = note
        self.type = type
        self.action = action
        self.reportingController = reportingController
        self.reportingInstance = reportingInstance
    }
}
