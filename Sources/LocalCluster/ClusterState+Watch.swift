import Foundation
import KubeClient

extension ClusterState {
    /// Starts a watch: replays (through `deliver`) the events after the
    /// requested resourceVersion, or synthetic ADDED events for the current
    /// objects when none (or "0") is given or `sendInitialEvents` is set,
    /// then registers `deliver` for live events. Replay and registration
    /// happen under the lock, so no event is missed or repeated.
    ///
    /// Throws 410 Gone (`Expired`) when the resourceVersion is older than the
    /// event window. Returns the watch id for `stopWatch`.
    func startWatch(_ type: ResourceType, namespace: String?, options: ListRequestOptions,
                    deliver: @escaping @Sendable (ServerWatchEvent) -> Void) throws -> UInt64 {
        try lock.withLock {
            let watcher = Watcher(storageName: type.storageName, type: type, namespace: namespace, options: options, deliver: deliver)
            let requested = options.resourceVersion.flatMap { Int64($0) } ?? 0
            if options.sendInitialEvents || requested == 0 {
                let store = objects[type.storageName] ?? [:]
                for key in store.keys.sorted() {
                    let object = store[key]!
                    if inScope(object, watcher) && matches(object, options) {
                        deliver(ServerWatchEvent(type: "ADDED", object: served(object, as: type)))
                    }
                }
                if options.sendInitialEvents && options.allowBookmarks {
                    deliver(bookmark(type, annotations: ["k8s.io/initial-events-end": .string("true")]))
                }
            } else {
                if requested > resourceVersion {
                    throw APIError(code: 504, reason: "Timeout", message: "Too large resource version: \(requested), current: \(resourceVersion)")
                }
                if requested < resourceVersion {
                    let oldest = try database.oldestLoggedVersion() ?? (resourceVersion + 1)
                    if requested + 1 < oldest {
                        throw APIError.gone("too old resource version: \(requested) (\(oldest - 1))")
                    }
                    for event in try database.events(after: requested, storageName: type.storageName) {
                        let object = try JSONCoding.decode(event.object)
                        let previous = try event.previous.map(JSONCoding.decode)
                        if let filtered = filter(event.type, object, previous, watcher) { deliver(filtered) }
                    }
                }
            }
            let id = nextWatcherID
            nextWatcherID += 1
            watchers[id] = watcher
            return id
        }
    }

    /// Stops delivering events to a watch.
    func stopWatch(_ id: UInt64) {
        lock.withLock { _ = watchers.removeValue(forKey: id) }
    }

    /// Delivers a BOOKMARK at the current resourceVersion to one watch, in
    /// order with its other events.
    func sendBookmark(_ id: UInt64) {
        lock.withLock {
            guard let watcher = watchers[id] else { return }
            watcher.deliver(bookmark(watcher.type, annotations: [:]))
        }
    }

    private func bookmark(_ type: ResourceType, annotations: [String: JSONValue]) -> ServerWatchEvent {
        var metadata: [String: JSONValue] = ["resourceVersion": .string(String(resourceVersion))]
        if !annotations.isEmpty { metadata["annotations"] = .object(annotations) }
        return ServerWatchEvent(type: "BOOKMARK", object: .object([
            "apiVersion": .string(type.apiVersion), "kind": .string(type.kind), "metadata": .object(metadata),
        ]))
    }

    private func inScope(_ object: JSONValue, _ watcher: Watcher) -> Bool {
        guard let namespace = watcher.namespace else { return true }
        return object["metadata"]?["namespace"]?.stringValue == namespace
    }

    /// The event a watcher sees for a change, given its namespace and selectors:
    /// an object that starts matching is ADDED, one that stops matching is DELETED.
    /// `encoded` is `object` as `JSONCoding.encode` wrote it, if known; it is
    /// passed on when the watcher is served the object unchanged.
    private func filter(_ eventType: String, _ object: JSONValue, _ previous: JSONValue?, _ watcher: Watcher,
                        encoded: Data? = nil) -> ServerWatchEvent? {
        guard inScope(object, watcher) else { return nil }
        let now = matches(object, watcher.options)
        let served = served(object, as: watcher.type)
        let encodedServed = served["apiVersion"] == object["apiVersion"] ? encoded : nil
        switch eventType {
        case "MODIFIED":
            let before = previous.map { matches($0, watcher.options) } ?? now
            if now && before { return ServerWatchEvent(type: "MODIFIED", object: served, encodedObject: encodedServed) }
            if now { return ServerWatchEvent(type: "ADDED", object: served, encodedObject: encodedServed) }
            if before { return ServerWatchEvent(type: "DELETED", object: served, encodedObject: encodedServed) }
            return nil
        default:
            return now ? ServerWatchEvent(type: eventType, object: served, encodedObject: encodedServed) : nil
        }
    }

    /// Fans a committed change out to the watchers of its storage. `encoded`
    /// is `object` as stored (`JSONCoding.encode`), if the caller has it.
    /// Caller holds the lock.
    func notify(_ storageName: String, eventType: String, object: JSONValue, previous: JSONValue?, encoded: Data? = nil) {
        for watcher in watchers.values where watcher.storageName == storageName {
            if let event = filter(eventType, object, previous, watcher, encoded: encoded) { watcher.deliver(event) }
        }
    }
}
