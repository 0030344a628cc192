import KubeClient

/// A change the informer observed (or synthesized after a relist), delivered
/// after the store already reflects it.
public enum InformerEvent<Object: KubernetesObject>: Sendable {
    case added(Object)
    /// `old` and `new` have the same resourceVersion on a periodic resync.
    case updated(old: Object, new: Object)
    /// The last state the informer knew. After a relist the object may have
    /// been deleted long before this event.
    case deleted(Object)

    /// The object the event is about (the new state for updates).
    public var object: Object {
        switch self {
        case .added(let object), .deleted(let object): return object
        case .updated(_, let new): return new
        }
    }
}
