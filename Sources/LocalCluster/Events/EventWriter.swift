import KubeClient

/// Where the node's events go: the seam between `NodeEventRecorder` and the
/// API server, so the recorder is tested without one.
protocol EventWriter: Sendable {
    /// Creates a core/v1 Event in its namespace.
    func create(_ event: Event) async throws
    /// Applies a JSON merge patch to the Event `name`; throws the server's
    /// answer (`isNotFoundAnswer` when it no longer exists).
    func patch(namespace: String, name: String, patch: JSONValue) async throws
}

/// `EventWriter` over the node agent's API client.
struct NodeAgentEventWriter: EventWriter {
    let api: any NodeAgentAPI

    func create(_ event: Event) async throws {
        _ = try await api.create(event)
    }

    func patch(namespace: String, name: String, patch: JSONValue) async throws {
        _ = try await api.mergePatch(Event.self, namespace: namespace, name: name, patch: patch)
    }
}
