/// Which namespace(s) a list or watch covers.
public enum NamespaceSelector: Sendable, Hashable {
    case namespace(String)
    case allNamespaces
}

/// Query parameters of a list.
public struct ListOptions: Sendable, Hashable {
    /// e.g. `app=web,tier!=db`.
    public var labelSelector: String?
    /// e.g. `metadata.name=x,status.phase=Running`.
    public var fieldSelector: String?
    /// Page size; the answer's `metadata.continue` fetches the next page.
    public var limit: Int?
    public var `continue`: String?
    /// `"0"` reads from the cache of the server; nil reads the latest.
    public var resourceVersion: String?
    /// `NotOlderThan` or `Exact`.
    public var resourceVersionMatch: String?
    public var timeoutSeconds: Int?

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil,
                continue: String? = nil, resourceVersion: String? = nil,
                resourceVersionMatch: String? = nil, timeoutSeconds: Int? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continue = `continue`
        self.resourceVersion = resourceVersion
        self.resourceVersionMatch = resourceVersionMatch
        self.timeoutSeconds = timeoutSeconds
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let labelSelector { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector { items.append(("fieldSelector", fieldSelector)) }
        if let limit { items.append(("limit", String(limit))) }
        if let `continue` { items.append(("continue", `continue`)) }
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        if let resourceVersionMatch { items.append(("resourceVersionMatch", resourceVersionMatch)) }
        if let timeoutSeconds { items.append(("timeoutSeconds", String(timeoutSeconds))) }
        return items
    }
}

/// Query parameters of a watch.
public struct WatchOptions: Sendable, Hashable {
    /// Start after this version; nil starts with synthetic ADDED events for
    /// every existing object ("" semantics of the API).
    public var resourceVersion: String?
    public var allowWatchBookmarks: Bool
    /// The server closes the stream after this long.
    public var timeoutSeconds: Int?
    public var labelSelector: String?
    public var fieldSelector: String?
    /// With `resourceVersion` unset: begin with ADDED events for existing objects then a
    /// bookmark annotated `k8s.io/initial-events-end` (Kubernetes 1.27+).
    public var sendInitialEvents: Bool?

    public init(resourceVersion: String? = nil, allowWatchBookmarks: Bool = true, timeoutSeconds: Int? = nil,
                labelSelector: String? = nil, fieldSelector: String? = nil, sendInitialEvents: Bool? = nil) {
        self.resourceVersion = resourceVersion
        self.allowWatchBookmarks = allowWatchBookmarks
        self.timeoutSeconds = timeoutSeconds
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.sendInitialEvents = sendInitialEvents
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = [("watch", "true")]
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        if allowWatchBookmarks { items.append(("allowWatchBookmarks", "true")) }
        if let timeoutSeconds { items.append(("timeoutSeconds", String(timeoutSeconds))) }
        if let labelSelector { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector { items.append(("fieldSelector", fieldSelector)) }
        if let sendInitialEvents { items.append(("sendInitialEvents", String(sendInitialEvents))) }
        return items
    }
}

/// Options of create and update.
public struct WriteOptions: Sendable, Hashable {
    public var fieldManager: String?
    /// Validate only; nothing is persisted.
    public var dryRun: Bool
    /// `Strict`, `Warn` or `Ignore`.
    public var fieldValidation: String?

    public init(fieldManager: String? = nil, dryRun: Bool = false, fieldValidation: String? = nil) {
        self.fieldManager = fieldManager
        self.dryRun = dryRun
        self.fieldValidation = fieldValidation
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let fieldManager { items.append(("fieldManager", fieldManager)) }
        if dryRun { items.append(("dryRun", "All")) }
        if let fieldValidation { items.append(("fieldValidation", fieldValidation)) }
        return items
    }
}

/// A patch body and its content type.
public enum Patch: Sendable, Hashable {
    /// RFC 7386 JSON merge patch (`application/merge-patch+json`).
    case merge(JSONValue)
    /// RFC 6902 JSON patch, an array of operations (`application/json-patch+json`).
    case json([JSONPatchOperation])
    /// Kubernetes strategic merge patch (`application/strategic-merge-patch+json`); built-in kinds only.
    case strategicMerge(JSONValue)
    /// Server-side apply (`application/apply-patch+yaml`, sent as JSON); needs `PatchOptions.fieldManager`.
    case apply(JSONValue)

    public var contentType: String {
        switch self {
        case .merge: return "application/merge-patch+json"
        case .json: return "application/json-patch+json"
        case .strategicMerge: return "application/strategic-merge-patch+json"
        case .apply: return "application/apply-patch+yaml"
        }
    }

    var body: JSONValue {
        switch self {
        case .merge(let value), .strategicMerge(let value), .apply(let value): return value
        case .json(let operations): return .array(operations.map(\.json))
        }
    }
}

/// One RFC 6902 operation.
public struct JSONPatchOperation: Sendable, Hashable {
    /// `add`, `remove`, `replace`, `move`, `copy` or `test`.
    public var op: String
    /// JSON pointer, e.g. `/metadata/labels/app`.
    public var path: String
    public var value: JSONValue?
    public var from: String?

    public init(op: String, path: String, value: JSONValue? = nil, from: String? = nil) {
        self.op = op
        self.path = path
        self.value = value
        self.from = from
    }

    public static func add(_ path: String, _ value: JSONValue) -> Self { .init(op: "add", path: path, value: value) }
    public static func replace(_ path: String, _ value: JSONValue) -> Self { .init(op: "replace", path: path, value: value) }
    public static func remove(_ path: String) -> Self { .init(op: "remove", path: path) }
    public static func test(_ path: String, _ value: JSONValue) -> Self { .init(op: "test", path: path, value: value) }

    var json: JSONValue {
        var members: [String: JSONValue] = ["op": .string(op), "path": .string(path)]
        if let value { members["value"] = value }
        if let from { members["from"] = .string(from) }
        return .object(members)
    }
}

/// Options of a patch.
public struct PatchOptions: Sendable, Hashable {
    /// Required for server-side apply.
    public var fieldManager: String?
    /// Server-side apply: take ownership of conflicting fields.
    public var force: Bool
    public var dryRun: Bool

    public init(fieldManager: String? = nil, force: Bool = false, dryRun: Bool = false) {
        self.fieldManager = fieldManager
        self.force = force
        self.dryRun = dryRun
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let fieldManager { items.append(("fieldManager", fieldManager)) }
        if force { items.append(("force", "true")) }
        if dryRun { items.append(("dryRun", "All")) }
        return items
    }
}

/// Options of a delete (sent as a `DeleteOptions` body).
public struct DeleteOptions: Sendable, Hashable {
    public enum PropagationPolicy: String, Sendable, Hashable {
        case orphan = "Orphan"
        case background = "Background"
        case foreground = "Foreground"
    }

    public var propagationPolicy: PropagationPolicy?
    public var gracePeriodSeconds: Int64?
    /// Delete only if the object still has this UID.
    public var preconditionUID: String?
    /// Delete only if the object is still at this resourceVersion.
    public var preconditionResourceVersion: String?
    public var dryRun: Bool

    public init(propagationPolicy: PropagationPolicy? = nil, gracePeriodSeconds: Int64? = nil,
                preconditionUID: String? = nil, preconditionResourceVersion: String? = nil, dryRun: Bool = false) {
        self.propagationPolicy = propagationPolicy
        self.gracePeriodSeconds = gracePeriodSeconds
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
        self.dryRun = dryRun
    }

    var body: JSONValue {
        var members: [String: JSONValue] = ["apiVersion": "v1", "kind": "DeleteOptions"]
        if let propagationPolicy { members["propagationPolicy"] = .string(propagationPolicy.rawValue) }
        if let gracePeriodSeconds { members["gracePeriodSeconds"] = .integer(gracePeriodSeconds) }
        if preconditionUID != nil || preconditionResourceVersion != nil {
            var preconditions: [String: JSONValue] = [:]
            if let preconditionUID { preconditions["uid"] = .string(preconditionUID) }
            if let preconditionResourceVersion { preconditions["resourceVersion"] = .string(preconditionResourceVersion) }
            members["preconditions"] = .object(preconditions)
        }
        if dryRun { members["dryRun"] = .array(["All"]) }
        return .object(members)
    }
}

/// Options of a pod log read.
public struct PodLogOptions: Sendable, Hashable {
    public var container: String?
    public var previous: Bool
    public var tailLines: Int?
    public var sinceSeconds: Int?
    public var timestamps: Bool
    public var limitBytes: Int?

    public init(container: String? = nil, previous: Bool = false, tailLines: Int? = nil,
                sinceSeconds: Int? = nil, timestamps: Bool = false, limitBytes: Int? = nil) {
        self.container = container
        self.previous = previous
        self.tailLines = tailLines
        self.sinceSeconds = sinceSeconds
        self.timestamps = timestamps
        self.limitBytes = limitBytes
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let container { items.append(("container", container)) }
        if previous { items.append(("previous", "true")) }
        if let tailLines { items.append(("tailLines", String(tailLines))) }
        if let sinceSeconds { items.append(("sinceSeconds", String(sinceSeconds))) }
        if timestamps { items.append(("timestamps", "true")) }
        if let limitBytes { items.append(("limitBytes", String(limitBytes))) }
        return items
    }
}
