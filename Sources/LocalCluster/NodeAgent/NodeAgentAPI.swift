import KubeClient

/// The API verbs the node agent uses, as a kubelet and a scheduler use them.
///
/// The seam between the agent and its API server: `KubeClientNodeAgentAPI`
/// implements it over HTTP with `KubeClient`. Errors from the server are
/// `KubernetesAPIError` values (so callers can test `isNotFound`, `isGone`).
protocol NodeAgentAPI: Sendable {
    /// Lists every object of a kind in all namespaces.
    func list<R: KubernetesResource>(_ type: R.Type) async throws -> ResourceList<R>
    /// Watches every object of a kind in all namespaces, after `resourceVersion`.
    /// The stream ends when the server closes it.
    func watch<R: KubernetesResource>(_ type: R.Type, resourceVersion: String) async throws
        -> AsyncThrowingStream<WatchEvent<R>, any Error>
    /// Reads one object; nil when it does not exist.
    func get<R: KubernetesResource>(_ type: R.Type, namespace: String, name: String) async throws -> R?
    /// Creates an object (in its own namespace, if the kind is namespaced).
    func create<R: KubernetesResource>(_ object: R) async throws -> R
    /// Applies a JSON merge patch to an object.
    func mergePatch<R: KubernetesResource>(
        _ type: R.Type, namespace: String, name: String, patch: JSONValue
    ) async throws -> R
    /// Applies a JSON merge patch to an object's status subresource.
    func mergePatchStatus<R: HasStatusSubresource>(
        _ type: R.Type, namespace: String, name: String, patch: JSONValue
    ) async throws -> R
    /// Deletes an object, with an optional grace period and UID precondition.
    func delete<R: KubernetesResource>(
        _ type: R.Type, namespace: String, name: String, gracePeriodSeconds: Int64?, uid: String?
    ) async throws
    /// Reads a ServiceAccount; nil when it does not exist.
    func serviceAccount(namespace: String, name: String) async throws -> UnstructuredObject?
    /// Asks for a token of a ServiceAccount (the TokenRequest API).
    func requestToken(namespace: String, serviceAccount: String, _ request: TokenRequest) async throws -> TokenRequest
}

extension Error {
    /// Whether the API server answered 404 Not Found.
    var isNotFoundAnswer: Bool { (self as? KubernetesAPIError)?.isNotFound ?? false }
    /// Whether the API server answered 410 Gone (a watch too old to resume).
    var isGoneAnswer: Bool { (self as? KubernetesAPIError)?.isGone ?? false }
    /// Whether the API server answered 409 Conflict.
    var isConflictAnswer: Bool { (self as? KubernetesAPIError)?.isConflict ?? false }
}

/// `NodeAgentAPI` over HTTP with `KubeClient`: the node agent is a client of
/// the API server like any kubelet.
struct KubeClientNodeAgentAPI: NodeAgentAPI {
    let client: KubernetesClient

    func list<R: KubernetesResource>(_ type: R.Type) async throws -> ResourceList<R> {
        try await client.resource(type).listAll(in: .allNamespaces)
    }

    func watch<R: KubernetesResource>(_ type: R.Type, resourceVersion: String) async throws
        -> AsyncThrowingStream<WatchEvent<R>, any Error>
    {
        try await client.resource(type).watch(
            in: .allNamespaces,
            options: WatchOptions(resourceVersion: resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 300))
    }

    func get<R: KubernetesResource>(_ type: R.Type, namespace: String, name: String) async throws -> R? {
        do {
            return try await client.resource(type).get(name, in: namespace)
        } catch where error.isNotFoundAnswer {
            return nil
        }
    }

    func create<R: KubernetesResource>(_ object: R) async throws -> R {
        try await client.resource(R.self).create(object)
    }

    func mergePatch<R: KubernetesResource>(
        _ type: R.Type, namespace: String, name: String, patch: JSONValue
    ) async throws -> R {
        try await client.resource(type).patch(name, in: namespace, .merge(patch))
    }

    func mergePatchStatus<R: HasStatusSubresource>(
        _ type: R.Type, namespace: String, name: String, patch: JSONValue
    ) async throws -> R {
        try await client.resource(type).patchStatus(name, in: namespace, .merge(patch))
    }

    func delete<R: KubernetesResource>(
        _ type: R.Type, namespace: String, name: String, gracePeriodSeconds: Int64?, uid: String?
    ) async throws {
        try await client.resource(type).delete(
            name, in: namespace, options: DeleteOptions(gracePeriodSeconds: gracePeriodSeconds, preconditionUID: uid))
    }

    func serviceAccount(namespace: String, name: String) async throws -> UnstructuredObject? {
        do {
            return try await client.unstructured(KubernetesClient.serviceAccountsDescriptor).get(name, in: namespace)
        } catch where error.isNotFoundAnswer {
            return nil
        }
    }

    func requestToken(namespace: String, serviceAccount: String, _ request: TokenRequest) async throws -> TokenRequest {
        try await client.requestServiceAccountToken(serviceAccount, in: namespace, request)
    }
}
