import KubeClient

/// One event of a watch stream (`ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK`, `ERROR`).
struct ServerWatchEvent: Sendable {
    var type: String
    var object: JSONValue

    init(type: String, object: JSONValue) {
        self.type = type
        self.object = object
    }

    /// The wire form: `{"type":...,"object":...}`.
    var json: JSONValue { .object(["type": .string(type), "object": object]) }
}

/// Options of a list or watch request.
struct ListRequestOptions: Sendable {
    var labelSelector: LabelSelectorQuery?
    var fieldSelector: FieldSelectorQuery?
    var limit: Int?
    var continueToken: String?
    var resourceVersion: String?
    var sendInitialEvents: Bool = false
    var allowBookmarks: Bool = false
}

/// Options of a delete request (`metav1.DeleteRequestOptions` and query parameters).
struct DeleteRequestOptions: Sendable {
    var gracePeriodSeconds: Int64?
    var propagationPolicy: String?
    var preconditionUID: String?
    var preconditionResourceVersion: String?
}
