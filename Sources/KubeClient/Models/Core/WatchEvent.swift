/// The type of one watch event.
public enum WatchEventType: String, Codable, Sendable, Hashable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
    /// Carries only `metadata.resourceVersion`: the watch has seen everything up to it.
    case bookmark = "BOOKMARK"
    /// The object is a `metav1.Status` (for example 410 Gone).
    case error = "ERROR"
}

/// One line of a watch stream, decoded.
///
/// For `.error` events the server's `metav1.Status` is in `status` and
/// `object` is nil; for every other type `object` is set.
public struct WatchEvent<Object: Sendable>: Sendable {
    public var type: WatchEventType
    public var object: Object?
    public var status: Status?
    /// The resourceVersion this event brings the watcher to: the object's, or
    /// the bookmark's. Nil for `.error` events.
    public var resourceVersion: String?

    public init(type: WatchEventType, object: Object?, status: Status? = nil, resourceVersion: String? = nil) {
        self.type = type
        self.object = object
        self.status = status
        self.resourceVersion = resourceVersion
    }
}

extension WatchEvent: Equatable where Object: Equatable {}
