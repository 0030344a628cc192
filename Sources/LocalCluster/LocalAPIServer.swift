import Foundation
import KubeClient
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A single-process Kubernetes API server for development, demos and tests:
/// the Kubernetes REST and watch protocol over HTTPS (HTTP/1.1 over TLS) on
/// loopback, with every object in SQLite under `dataDirectory`.
///
/// Security: the server speaks TLS only, with a CA it makes on the first
/// start of a data directory (`LocalPKI`, under `<dataDir>/pki/`). Every
/// request must authenticate, with a client certificate signed by that CA
/// (CN = user, O = groups) or a bearer token one of
/// `Options.tokenAuthenticators` recognises; anything else gets 401, except
/// the health probes. A client certificate the CA did not sign fails the
/// TLS handshake. `writeKubeconfig` writes an administrator's kubeconfig
/// (`ringmaster-admin`, group `system:masters`).
///
/// What it serves: discovery, OpenAPI for custom resources, core/v1
/// namespaces, pods (+status, log, binding), services, endpoints, PVCs,
/// configmaps, secrets, serviceaccounts (+token: the TokenRequest API, see
/// `ServiceAccountTokenIssuer`; every namespace gets a `default` one), events, nodes; events.k8s.io/v1
/// events; coordination.k8s.io/v1 leases; CustomResourceDefinitions and the
/// kinds they declare (schema validation, defaulting, pruning, status
/// subresource, printer columns); apps/v1 Deployments and StatefulSets and
/// PriorityClasses are stored and served but NOT run. Every request is
/// authenticated (`RequestAuthenticator`: client certificates from the
/// cluster's CA, `LocalPKI`, or bearer tokens) and authorized by RBAC
/// (`RBACAuthorizer`), with the bootstrap policy created at start
/// (`BootstrapPolicy`). It serves HTTPS only.
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
        /// Resolve bearer tokens to users, tried in order (client certificates
        /// need none of them).
        public var tokenAuthenticators: [any TokenAuthenticator]

        public init(eventWindow: Int = 10_000, bookmarkInterval: Duration = .seconds(10), garbageCollectionInterval: Duration = .milliseconds(200),
                    tokenAuthenticators: [any TokenAuthenticator] = []) {
            self.eventWindow = eventWindow
            self.bookmarkInterval = bookmarkInterval
            self.garbageCollectionInterval = garbageCollectionInterval
            self.tokenAuthenticators = tokenAuthenticators
        }
    }

    private struct Running {
        var group: MultiThreadedEventLoopGroup
        var threadPool: NIOThreadPool
        var channels: [any Channel]
        var state: ClusterState
        var collector: RepeatedTask
        var baseURL: URL
        var serviceAccountTokens: ServiceAccountTokenAuthenticator
        var pki: LocalPKI
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

    /// Opens the database in `dataDirectory` (creating it if needed), loads
    /// or makes the cluster's PKI, and starts serving HTTPS on `host:port`
    /// (`port` 0 picks a free port), and on the same port at each of
    /// `additionalHosts` (the Pod network's gateway, where Pods reach it);
    /// the server's certificate names them all.
    public func start(
        host: String = "127.0.0.1", port: Int = 0, additionalHosts: [String] = [], dataDirectory: URL,
        faults: FaultInjection = .none
    ) async throws {
        guard lock.withLock({ running == nil }) else { throw LocalAPIServerError.alreadyRunning }
        let layout = Layout(dataDirectory: dataDirectory)
        let pki = try LocalPKI.loadOrCreate(directory: layout.pkiDirectory, serverHosts: [host] + additionalHosts)
        let tls = try NIOSSLContext(configuration: pki.serverTLSConfiguration())
        let state = try ClusterState(layout: layout, eventWindow: options.eventWindow)
        let tokenIssuer = try ServiceAccountTokenIssuer.loadOrCreate(keyFile: layout.serviceAccountSigningKey)
        let serviceAccountTokens = ServiceAccountTokenAuthenticator(
            issuer: tokenIssuer,
            serviceAccountUID: { state.uid(ofCore: "serviceaccounts", namespace: $0, name: $1) },
            podUID: { state.uid(ofCore: "pods", namespace: $0, name: $1) },
            secretUID: { state.uid(ofCore: "secrets", namespace: $0, name: $1) },
            now: state.now)
        try BootstrapPolicy.ensure(in: state)
        lock.withLock { currentFaults = faults }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        let router = APIRouter(state: state, tokenIssuer: tokenIssuer)
        let authenticator = RequestAuthenticator(tokenAuthenticators: options.tokenAuthenticators + [serviceAccountTokens])
        let bookmark = Self.timeAmount(options.bookmarkInterval)
        let faultSource: @Sendable () -> FaultInjection = { [weak self] in self?.faults ?? .none }
        var channels: [any Channel] = []
        let bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionHandler(router: router, authenticator: authenticator, threadPool: threadPool,
                                                  bookmarkInterval: bookmark, faults: faultSource))
                    }
                }
        var boundPort = port
        for listenHost in [host] + additionalHosts {
            do {
                let channel = try await bootstrap.bind(host: listenHost, port: boundPort).get()
                channels.append(channel)
                boundPort = channel.localAddress?.port ?? boundPort
            } catch {
                for channel in channels { try? await channel.close() }
                try? await threadPool.shutdownGracefully()
                try? await group.shutdownGracefully()
                throw LocalAPIServerError.bindFailed(host: listenHost, port: boundPort, underlying: "\(error)")
            }
        }
        let address = host.contains(":") ? "[\(host)]:\(boundPort)" : "\(host):\(boundPort)"
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
            running = Running(group: group, threadPool: threadPool, channels: channels, state: state, collector: collector,
                              baseURL: URL(string: "https://\(address)")!, serviceAccountTokens: serviceAccountTokens, pki: pki)
        }
        logger.info("local API server listening", metadata: ["url": "https://\(address)", "data": "\(dataDirectory.path)"])
    }

    /// The URL clients use (`https://127.0.0.1:<port>`). Valid after `start`.
    public var baseURL: URL {
        lock.withLock { running?.baseURL ?? URL(string: "https://127.0.0.1:0")! }
    }

    /// The cluster's CA and certificates; nil until `start`.
    public var pki: LocalPKI? {
        lock.withLock { running?.pki }
    }

    /// The authenticator of the ServiceAccount tokens this server signs (for
    /// the authentication chain's bearer tokens). Nil when not running.
    public var serviceAccountTokens: ServiceAccountTokenAuthenticator? {
        lock.withLock { running?.serviceAccountTokens }
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

    /// Stops serving and closes every connection. Idempotent.
    public func shutdown() async throws {
        guard let current = lock.withLock({ () -> Running? in
            defer { running = nil }
            return running
        }) else { return }
        current.collector.cancel()
        for channel in current.channels { try? await channel.close() }
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
    case notRunning
    case bindFailed(host: String, port: Int, underlying: String)

    public var description: String {
        switch self {
        case .alreadyRunning: return "the local API server is already running"
        case .notRunning: return "the local API server is not running"
        case .bindFailed(let host, let port, let underlying): return "cannot listen on \(host):\(port): \(underlying)"
        }
    }
}
