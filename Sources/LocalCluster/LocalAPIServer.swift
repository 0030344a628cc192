import Foundation
import KubeClient
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// A single-process Kubernetes API server for development, demos and tests:
/// the Kubernetes REST and watch protocol over plain HTTP/1.1 on loopback,
/// with every object in SQLite under `dataDirectory`.
///
/// What it serves: discovery, OpenAPI for custom resources, core/v1
/// namespaces, pods (+status, log, binding), services, endpoints, PVCs,
/// configmaps, secrets, serviceaccounts, events, nodes; events.k8s.io/v1
/// events; coordination.k8s.io/v1 leases; CustomResourceDefinitions and the
/// kinds they declare (schema validation, defaulting, pruning, status
/// subresource, printer columns); RBAC, apps/v1 Deployments and StatefulSets
/// and PriorityClasses are stored and served but NOT enforced or run. There is
/// no authentication or authorization: it listens on loopback only.
/// CEL rules (`x-kubernetes-validations`) in CRD schemas are not evaluated.
///
/// Lifecycle: `start` binds and returns once the server answers; `shutdown`
/// stops it. Safe to call from any task.
public final class LocalAPIServer: @unchecked Sendable {
    /// Tunables that tests change; the defaults suit interactive use.
    public struct Options: Sendable {
        /// How many watch events stay replayable before a watch from an older
        /// resourceVersion gets 410 Gone.
        public var eventWindow: Int
        /// How often a watch with `allowWatchBookmarks=true` gets a BOOKMARK.
        public var bookmarkInterval: Duration
        /// How often the garbage collector looks for work.
        public var garbageCollectionInterval: Duration

        public init(eventWindow: Int = 10_000, bookmarkInterval: Duration = .seconds(10), garbageCollectionInterval: Duration = .milliseconds(200)) {
            self.eventWindow = eventWindow
            self.bookmarkInterval = bookmarkInterval
            self.garbageCollectionInterval = garbageCollectionInterval
        }
    }

    private struct Running {
        var group: MultiThreadedEventLoopGroup
        var threadPool: NIOThreadPool
        var channel: any Channel
        var state: ClusterState
        var collector: RepeatedTask
        var baseURL: URL
    }

    private let lock = NSLock()
    private var running: Running?
    private var currentFaults = FaultInjection.none
    private let options: Options
    private let logger: Logger

    public init(options: Options = Options(), logger: Logger = Logger(label: "ringmaster.local-apiserver")) {
        self.options = options
        self.logger = logger
    }

    /// Opens the database in `dataDirectory` (creating it if needed) and
    /// starts serving on `host:port` (`port` 0 picks a free port).
    public func start(host: String = "127.0.0.1", port: Int = 0, dataDirectory: URL, faults: FaultInjection = .none) async throws {
        guard lock.withLock({ running == nil }) else { throw LocalAPIServerError.alreadyRunning }
        let layout = Layout(dataDirectory: dataDirectory)
        let state = try ClusterState(layout: layout, eventWindow: options.eventWindow)
        lock.withLock { currentFaults = faults }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        let router = APIRouter(state: state)
        let bookmark = Self.timeAmount(options.bookmarkInterval)
        let faultSource: @Sendable () -> FaultInjection = { [weak self] in self?.faults ?? .none }
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionHandler(router: router, threadPool: threadPool, bookmarkInterval: bookmark, faults: faultSource))
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            try? await threadPool.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw LocalAPIServerError.bindFailed(host: host, port: port, underlying: "\(error)")
        }
        let boundPort = channel.localAddress?.port ?? port
        let address = "\(host):\(boundPort)"
        router.serverAddress = address
        let logger = self.logger
        let collector = group.next().scheduleRepeatedTask(initialDelay: Self.timeAmount(options.garbageCollectionInterval),
                                                          delay: Self.timeAmount(options.garbageCollectionInterval)) { _ in
            threadPool.submit { work in
                guard work == .active else { return }
                do { try state.collectGarbage() } catch { logger.error("garbage collection failed: \(error)") }
            }
        }
        lock.withLock {
            running = Running(group: group, threadPool: threadPool, channel: channel, state: state, collector: collector,
                              baseURL: URL(string: "http://\(address)")!)
        }
        logger.info("local API server listening", metadata: ["url": "http://\(address)", "data": "\(dataDirectory.path)"])
    }

    /// The URL clients use (`http://127.0.0.1:<port>`). Valid after `start`.
    public var baseURL: URL {
        lock.withLock { running?.baseURL ?? URL(string: "http://127.0.0.1:0")! }
    }

    /// The active fault injection; settable while running.
    public var faults: FaultInjection {
        get { lock.withLock { currentFaults } }
        set { lock.withLock { currentFaults = newValue } }
    }

    /// The last resourceVersion assigned.
    public var resourceVersion: Int64 {
        lock.withLock { running?.state }?.currentResourceVersion ?? 0
    }

    /// Writes a kubeconfig whose current context points at this server
    /// (cluster, user and context are all named `ringmaster-local`), mode 0600.
    public func writeKubeconfig(to url: URL) throws {
        let server = baseURL.absoluteString
        let text = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: ringmaster-local
              cluster:
                server: \(server)
            users:
            - name: ringmaster-local
              user: {}
            contexts:
            - name: ringmaster-local
              context:
                cluster: ringmaster-local
                user: ringmaster-local
                namespace: default
            current-context: ringmaster-local
            preferences: {}

            """
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try PrivateFiles.writeAtomically(Data(text.utf8), to: url)
    }

    /// Stops serving and closes every connection. Idempotent.
    public func shutdown() async throws {
        guard let current = lock.withLock({ () -> Running? in
            defer { running = nil }
            return running
        }) else { return }
        current.collector.cancel()
        try? await current.channel.close()
        try await current.threadPool.shutdownGracefully()
        try await current.group.shutdownGracefully()
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }
}

/// Why the local API server could not start.
public enum LocalAPIServerError: Error, CustomStringConvertible {
    case alreadyRunning
    case bindFailed(host: String, port: Int, underlying: String)

    public var description: String {
        switch self {
        case .alreadyRunning: return "the local API server is already running"
        case .bindFailed(let host, let port, let underlying): return "cannot listen on \(host):\(port): \(underlying)"
        }
    }
}
