import Foundation
import KubeClient
import Logging

/// Keeps an `ObjectStore` equal to the server's objects of one kind and
/// tells subscribers what changed, the way client-go's reflector and shared
/// informer do:
///
/// - list (paged), then watch from the list's resourceVersion;
/// - bookmarks and events advance the resourceVersion;
/// - a watch that ends or breaks is re-opened from the last resourceVersion;
/// - `410 Gone` (as an answer or an `ERROR` event) relists, and the
///   differences with the store are delivered as synthesized adds, updates
///   and deletes;
/// - every `resyncPeriod` each cached object is delivered again as an update;
/// - failures back off (`errorBackoff`, doubling to 30 s, on the injected clock).
///
/// `run()` blocks until cancelled.
public final class Informer<Object: KubernetesObject>: Sendable {
    public let store: ObjectStore<Object>
    public let descriptor: ResourceDescriptor
    private let reader: ResourceClient<Object>
    private let namespace: NamespaceSelector
    private let labelSelector: String?
    private let fieldSelector: String?
    private let resyncPeriod: Duration?
    private let pageSize: Int
    private let watchTimeoutSeconds: Int
    private let clock: any RuntimeClock
    private let errorBackoff: Duration
    private let logger: Logger
    private let state = LockedState(State())

    struct State {
        var synced = false
        var resourceVersion: String?
        var subscribers: [Int: AsyncStream<InformerEvent<Object>>.Continuation] = [:]
        var nextSubscriber = 0
        var syncWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextSyncWaiter = 0
        var lists = 0
        var watches = 0
    }

    /// - Parameters:
    ///   - client: the verbs for the kind (typed or unstructured).
    ///   - namespace: the namespace to watch, or all.
    ///   - resyncPeriod: nil disables periodic resync.
    ///   - watchTimeoutSeconds: the server closes each watch after this long; it is then re-opened.
    ///   - errorBackoff: the first pause after a failed list or watch; doubled per
    ///     consecutive failure up to 30 s.
    public init(
        client: ResourceClient<Object>, namespace: NamespaceSelector = .allNamespaces,
        labelSelector: String? = nil, fieldSelector: String? = nil, resyncPeriod: Duration? = nil,
        pageSize: Int = 500, watchTimeoutSeconds: Int = 300, errorBackoff: Duration = .seconds(1),
        clock: (any RuntimeClock)? = nil, logger: Logger? = nil
    ) {
        self.errorBackoff = errorBackoff
        self.reader = client
        self.descriptor = client.descriptor
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resyncPeriod = resyncPeriod
        self.pageSize = pageSize
        self.watchTimeoutSeconds = watchTimeoutSeconds
        self.clock = clock ?? client.client.options.clock
        self.logger = logger ?? Logger(label: "ringmaster.informer.\(client.descriptor.plural)")
        self.store = ObjectStore()
    }

    /// Reads through the same interface as the client.
    public var cache: ObjectCache<Object> { ObjectCache(store: store, descriptor: descriptor) }

    /// True once the first list has been stored.
    public var hasSynced: Bool { state.withLock { $0.synced } }

    /// The resourceVersion the store reflects.
    public var lastSyncResourceVersion: String? { state.withLock { $0.resourceVersion } }

    /// How many lists and watches were started (for tests and diagnostics).
    public var requestCounts: (lists: Int, watches: Int) { state.withLock { ($0.lists, $0.watches) } }

    /// Suspends until the first list has been stored, or until the calling
    /// task is cancelled (check `hasSynced`, or for cancellation, after it
    /// returns): a resource the server does not serve yet (a CRD not
    /// installed) must not keep a stopping manager waiting.
    public func waitForSync() async {
        let id = state.withLock { state -> Int in
            defer { state.nextSyncWaiter += 1 }
            return state.nextSyncWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if state.synced || Task.isCancelled { return true }
                    state.syncWaiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.syncWaiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// A stream of every change from now on. A subscriber added after the
    /// first sync first receives `.added` for each cached object. The stream
    /// buffers without bound and ends when the consuming task stops iterating
    /// or the informer's `run()` returns.
    public func subscribe() -> AsyncStream<InformerEvent<Object>> {
        let (stream, continuation) = AsyncStream<InformerEvent<Object>>.makeStream()
        state.withLock { state in
            let id = state.nextSubscriber
            state.nextSubscriber += 1
            state.subscribers[id] = continuation
            if state.synced {
                for object in store.list() { continuation.yield(.added(object)) }
            }
            continuation.onTermination = { [weak self] _ in
                self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
            }
        }
        return stream
    }

    private func deliver(_ events: [InformerEvent<Object>]) {
        guard !events.isEmpty else { return }
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers {
            for event in events { subscriber.yield(event) }
        }
    }

    /// Lists, watches and resyncs until cancelled.
    public func run() async throws {
        defer {
            let subscribers = state.withLock { state -> [AsyncStream<InformerEvent<Object>>.Continuation] in
                let all = Array(state.subscribers.values)
                state.subscribers.removeAll()
                return all
            }
            for subscriber in subscribers { subscriber.finish() }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.listAndWatchLoop() }
            if let resyncPeriod = self.resyncPeriod {
                group.addTask { try await self.resyncLoop(every: resyncPeriod) }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    private func resyncLoop(every period: Duration) async throws {
        while true {
            try await clock.sleep(for: period)
            guard hasSynced else { continue }
            // Holding the store lock is not needed: events for one key are
            // delivered in order by the list/watch loop; a resync only repeats
            // the current state.
            deliver(store.list().map { .updated(old: $0, new: $0) })
        }
    }

    private func listAndWatchLoop() async throws {
        var needsList = true
        var failures = 0
        while true {
            try Task.checkCancellation()
            do {
                if needsList {
                    try await relist()
                    needsList = false
                }
                let gone = try await watchOnce()
                failures = 0
                if gone {
                    logger.info("watch expired (410 Gone); relisting")
                    needsList = true
                }
            } catch let error as KubernetesAPIError where error.isGone {
                logger.info("resourceVersion too old (410 Gone); relisting")
                needsList = true
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if Task.isCancelled { throw CancellationError() }
                failures += 1
                let delay = min(errorBackoff * (1 << min(failures - 1, 15)), .seconds(30))
                logger.warning("list/watch of \(descriptor.plural) failed; retrying in \(delay)",
                               metadata: ["error": "\(error)"])
                try await clock.sleep(for: delay)
            }
        }
    }

    private func relist() async throws {
        state.withLock { $0.lists += 1 }
        let list = try await reader.listAll(
            in: namespace, options: ListOptions(labelSelector: labelSelector, fieldSelector: fieldSelector),
            pageSize: pageSize)
        let changes = store.replace(with: list.items)
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.resourceVersion = list.metadata.resourceVersion
            state.synced = true
            defer { state.syncWaiters.removeAll() }
            return Array(state.syncWaiters.values)
        }
        var events: [InformerEvent<Object>] = changes.added.map { .added($0) }
        events += changes.updated.map { .updated(old: $0.old, new: $0.new) }
        events += changes.deleted.map { .deleted($0) }
        deliver(events)
        for waiter in waiters { waiter.resume() }
        logger.debug("listed \(descriptor.plural)", metadata: [
            "count": "\(list.items.count)", "resourceVersion": "\(list.metadata.resourceVersion ?? "")",
        ])
    }

    /// Watches from the current resourceVersion until the stream ends.
    /// Returns true when the server said the version is gone.
    private func watchOnce() async throws -> Bool {
        state.withLock { $0.watches += 1 }
        let version = state.withLock { $0.resourceVersion }
        let stream = try await reader.watch(in: namespace, options: WatchOptions(
            resourceVersion: version, allowWatchBookmarks: true,
            timeoutSeconds: watchTimeoutSeconds, labelSelector: labelSelector, fieldSelector: fieldSelector))
        for try await event in stream {
            switch event.type {
            case .added, .modified:
                guard let object = event.object else { continue }
                let old = store.upsert(object)
                deliver([old.map { .updated(old: $0, new: object) } ?? .added(object)])
            case .deleted:
                guard let object = event.object else { continue }
                store.remove(ObjectKey(object.metadata))
                deliver([.deleted(object)])
            case .bookmark:
                break
            case .error:
                if let status = event.status, status.code == 410 || status.reason == "Expired" || status.reason == "Gone" {
                    return true
                }
                throw KubernetesAPIError(status: event.status ?? Status(), httpCode: Int(event.status?.code ?? 500))
            }
            if let version = event.resourceVersion, !version.isEmpty {
                state.withLock { $0.resourceVersion = version }
            }
        }
        return false
    }
}
