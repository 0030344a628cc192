/// Reads objects of one kind. Implemented by `ResourceClient` (reads from the
/// API server) and by the informer cache of ControllerRuntime (reads from
/// memory), so that code can be written once against either.
public protocol ObjectReader<Object>: Sendable {
    associatedtype Object: KubernetesObject

    /// The object `namespace/name`.
    /// - Throws: `KubernetesAPIError` with `isNotFound` when there is none.
    func get(_ name: String, in namespace: String?) async throws -> Object

    /// The objects matching `options.labelSelector` (and, for the cache,
    /// `options.fieldSelector` on `metadata.name`/`metadata.namespace`).
    func list(in selector: NamespaceSelector, options: ListOptions) async throws -> ResourceList<Object>
}

extension ResourceClient: ObjectReader {}
