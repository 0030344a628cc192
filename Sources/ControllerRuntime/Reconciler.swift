import KubeClient

/// What to reconcile: one object by namespace and name, never an event.
public struct ReconcileRequest: Sendable, Hashable, CustomStringConvertible {
    public var namespace: String?
    public var name: String

    public init(namespace: String?, name: String) {
        self.namespace = namespace.flatMap { $0.isEmpty ? nil : $0 }
        self.name = name
    }

    public init(_ key: ObjectKey) { self.init(namespace: key.namespace, name: key.name) }

    public var description: String { namespace.map { "\($0)/\(name)" } ?? name }
}

/// The outcome of a successful reconcile.
public enum ReconcileResult: Sendable, Hashable {
    /// Nothing more to do until something changes (the backoff is reset).
    case done
    /// Reconcile again after `after` (the backoff is reset).
    case requeue(after: Duration)
}

/// Brings the world in line with one object. Level-triggered: it reads the
/// current state and acts, whatever happened before.
///
/// A thrown error requeues the request with rate-limited backoff; a
/// `TerminalError` is logged and not retried until the object changes again.
public protocol Reconciler: Sendable {
    func reconcile(_ request: ReconcileRequest) async throws -> ReconcileResult
}

/// A failure that retrying cannot fix (invalid spec, ...): logged, counted,
/// and not requeued.
public struct TerminalError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var underlying: String?

    public init(_ message: String, underlying: (any Error)? = nil) {
        self.message = message
        self.underlying = underlying.map { String(describing: $0) }
    }

    public var description: String {
        underlying.map { "\(message): \($0)" } ?? message
    }
}
