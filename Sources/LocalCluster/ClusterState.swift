import Foundation
import KubeClient

/// The object store and semantics of the local API server: resourceVersions,
/// preconditions, generation, the status subresource, finalizers, graceful pod
/// deletion, custom resource types, and the watch fan-out.
///
/// Every operation runs under one lock, in the order requests arrive; each
/// write is durable in SQLite before the call returns and before any watcher
/// sees it. Safe to call from any thread; calls block on SQLite, so callers
/// on an event loop offload them to a thread pool.
final class ClusterState: @unchecked Sendable {
    /// A registered watch stream.
    struct Watcher {
        var storageName: String
        var type: ResourceType
        var namespace: String?
        var options: ListRequestOptions
        var deliver: @Sendable (ServerWatchEvent) -> Void
    }

    let lock = NSLock()
    let database: ObjectDatabase
    let layout: Layout
    /// How many watch events stay replayable; older resourceVersions answer 410 Gone.
    let eventWindow: Int
    let now: @Sendable () -> Date

    /// storageName -> object key (`namespace/name` or `name`) -> object.
    var objects: [String: [String: JSONValue]] = [:]
    /// uid -> (storageName, key), for garbage collection.
    var uidIndex: [String: (String, String)] = [:]
    var resourceVersion: Int64
    var types: [String: ResourceType] = [:]
    /// Group name -> version names in preference order, for custom groups.
    var customGroupVersions: [String: [String]] = [:]
    var watchers: [UInt64: Watcher] = [:]
    var nextWatcherID: UInt64 = 1
    /// Set when something was deleted or marked for deletion: the garbage collector has work.
    var collectorDirty = true
    /// The encodings of the last `recentEncodingWindow` commits by
    /// resourceVersion, so that the answer to a write reuses the bytes the
    /// commit wrote instead of encoding the object again.
    var recentEncodings: [Int64: (object: JSONValue, data: Data)] = [:]
    static let recentEncodingWindow: Int64 = 256

    init(layout: Layout, eventWindow: Int, now: @escaping @Sendable () -> Date = Date.init) throws {
        self.layout = layout
        self.eventWindow = eventWindow
        self.now = now
        database = try ObjectDatabase(url: layout.databaseFile)
        resourceVersion = try database.lastResourceVersion()
        for type in ResourceType.builtIn { types[Self.typeKey(type.group, type.version, type.plural)] = type }
        for (key, data) in try database.loadObjects() {
            guard let slash = key.firstIndex(of: "/") else { continue }
            let object = try JSONCoding.decode(data)
            let storage = String(key[..<slash])
            objects[storage, default: [:]][String(key[key.index(after: slash)...])] = object
            if let uid = object["metadata"]?["uid"]?.stringValue { uidIndex[uid] = (storage, String(key[key.index(after: slash)...])) }
        }
        for crd in (objects["customresourcedefinitions.apiextensions.k8s.io"] ?? [:]).values { registerCustomTypes(crd) }
        try ensureNamespace("default")
        try ensureNamespace("kube-system")
        try ensureNamespace("kube-public")
        try ensureNamespace("kube-node-lease")
        try ensureDefaultServiceAccounts()
    }

    static func typeKey(_ group: String, _ version: String, _ plural: String) -> String { "\(group)/\(version)/\(plural)" }

    // MARK: Lookup

    /// The type served at group/version/plural, if any.
    func type(group: String, version: String, plural: String) -> ResourceType? {
        lock.withLock { types[Self.typeKey(group, version, plural)] }
    }

    /// Every served type.
    func allTypes() -> [ResourceType] {
        lock.withLock { Array(types.values) }
    }

    /// Version preference of a custom group (first is preferred).
    func versions(ofCustomGroup group: String) -> [String] {
        lock.withLock { customGroupVersions[group] ?? [] }
    }

    var currentResourceVersion: Int64 { lock.withLock { resourceVersion } }

    static func objectKey(namespace: String?, name: String) -> String {
        if let namespace, !namespace.isEmpty { return "\(namespace)/\(name)" }
        return name
    }

    func get(_ type: ResourceType, namespace: String?, name: String) throws -> JSONValue {
        try lock.withLock {
            guard let object = objects[type.storageName]?[Self.objectKey(namespace: namespace, name: name)] else {
                throw APIError.notFound(type, name)
            }
            return served(object, as: type)
        }
    }

    /// Rewrites apiVersion for the version a request addressed (custom
    /// resources are stored once and served under every version).
    func served(_ object: JSONValue, as type: ResourceType) -> JSONValue {
        var copy = object
        copy["apiVersion"] = .string(type.apiVersion)
        return copy
    }

    // MARK: List

    func list(_ type: ResourceType, namespace: String?, options: ListRequestOptions) throws -> JSONValue {
        try lock.withLock {
            var keys = (objects[type.storageName] ?? [:]).keys.sorted()
            if let namespace { keys = keys.filter { $0.hasPrefix(namespace + "/") } }
            var start = 0
            if let token = options.continueToken, !token.isEmpty {
                guard let data = Data(base64Encoded: token), let last = String(data: data, encoding: .utf8) else {
                    throw APIError.badRequest("continue key is not valid: illegal base64 data")
                }
                start = keys.firstIndex { $0 > last } ?? keys.count
            }
            var items: [JSONValue] = []
            var lastKey: String?
            var index = start
            let store = objects[type.storageName] ?? [:]
            while index < keys.count {
                if let limit = options.limit, limit > 0, items.count >= limit { break }
                let object = store[keys[index]]!
                if matches(object, options) {
                    items.append(served(object, as: type))
                    lastKey = keys[index]
                }
                index += 1
            }
            var metadata: [String: JSONValue] = ["resourceVersion": .string(String(resourceVersion))]
            if index < keys.count, let lastKey {
                let remaining = keys[index...].filter { matches(store[$0]!, options) }.count
                if remaining > 0 {
                    metadata["continue"] = .string(Data(lastKey.utf8).base64EncodedString())
                    metadata["remainingItemCount"] = .integer(Int64(remaining))
                }
            }
            return .object([
                "apiVersion": .string(type.apiVersion), "kind": .string("\(type.kind)List"),
                "metadata": .object(metadata), "items": .array(items),
            ])
        }
    }

    func matches(_ object: JSONValue, _ options: ListRequestOptions) -> Bool {
        if let selector = options.labelSelector {
            let labels = (object["metadata"]?["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            if !selector.matches(labels) { return false }
        }
        if let selector = options.fieldSelector, !selector.matches(object) { return false }
        return true
    }

    // MARK: Commit

    /// Stores `object` (or removes `key` when `object` is nil), assigns the
    /// next resourceVersion, and notifies watchers. Caller holds the lock.
    @discardableResult
    func commit(_ type: ResourceType, key: String, object: JSONValue?, previous: JSONValue?, eventType: String) throws -> JSONValue {
        let rv = resourceVersion + 1
        var stored = object ?? previous ?? .null
        stored["metadata"]?["resourceVersion"] = .string(String(rv))
        let data = JSONCoding.encode(stored)
        try database.commit(
            key: "\(type.storageName)/\(key)", object: object == nil ? nil : data,
            event: .init(resourceVersion: rv, type: eventType, storageName: type.storageName, object: data,
                         previous: previous.map(JSONCoding.encode)))
        resourceVersion = rv
        if object != nil {
            objects[type.storageName, default: [:]][key] = stored
            if let uid = stored["metadata"]?["uid"]?.stringValue { uidIndex[uid] = (type.storageName, key) }
        } else {
            objects[type.storageName]?.removeValue(forKey: key)
            if let uid = stored["metadata"]?["uid"]?.stringValue { uidIndex.removeValue(forKey: uid) }
            collectorDirty = true
        }
        recentEncodings[rv] = (stored, data)
        recentEncodings.removeValue(forKey: rv - Self.recentEncodingWindow)
        if rv % 500 == 0 { try database.compact(keep: eventWindow) }
        notify(type.storageName, eventType: eventType, object: stored, previous: previous, encoded: data)
        return stored
    }

    /// RFC 3339 in UTC with whole seconds (`2006-01-02T15:04:05Z`), as Kubernetes writes timestamps.
    /// The bytes a recent commit wrote for `object`, if `object` is exactly
    /// what was committed (same resourceVersion, same content, served under
    /// the stored apiVersion); each encoding is handed out once.
    func takeEncoding(of object: JSONValue) -> Data? {
        guard let rv = object["metadata"]?["resourceVersion"]?.stringValue.flatMap({ Int64($0) }) else { return nil }
        return lock.withLock {
            guard let recent = recentEncodings.removeValue(forKey: rv), recent.object == object else { return nil }
            return recent.data
        }
    }

    func timestamp(_ date: Date? = nil) -> String {
        // A format style is a value and cheap to use; creating an
        // ISO8601DateFormatter per call cost more than the SQLite write.
        (date ?? now()).formatted(Self.timestampStyle)
    }

    static let timestampStyle = Date.ISO8601FormatStyle(timeZone: TimeZone(secondsFromGMT: 0)!)

    private func ensureNamespace(_ name: String) throws {
        let type = types[Self.typeKey("", "v1", "namespaces")]!
        if objects[type.storageName]?[name] != nil { return }
        let object: JSONValue = .object([
            "apiVersion": .string("v1"), "kind": .string("Namespace"),
            "metadata": .object(["name": .string(name), "labels": .object(["kubernetes.io/metadata.name": .string(name)])]),
            "spec": .object(["finalizers": .array([.string("kubernetes")])]),
            "status": .object(["phase": .string("Active")]),
        ])
        try lock.withLock { _ = try createLocked(type, namespace: nil, body: object) }
    }
}
