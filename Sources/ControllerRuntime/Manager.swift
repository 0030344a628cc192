import Foundation
import KubeClient
import Logging
import NIOHTTP1
import Prometheus
import ServiceLifecycle

/// Runs everything an operator needs as one swift-service-lifecycle
/// `Service`: the shared informers, the controllers (only while leader when
/// leader election is on), leader election, `/healthz` + `/readyz` and
/// `/metrics` (Prometheus text from `registry`, then, while leading, what the
/// `MetricsCollector`s added with `addCollector` write).
///
/// Register informers and controllers before `run()`. `run()` blocks until
/// cancelled or until a graceful shutdown (SIGTERM through a `ServiceGroup`);
/// then controllers stop, the lease is released, informers stop and the
/// servers close. It throws `LeadershipLostError` when leadership is lost, so
/// that the process exits and restarts as a fresh candidate.
///
/// ```swift
/// let registry = PrometheusCollectorRegistry()
/// MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
/// let manager = try Manager(options: options, registry: registry)
/// let jobs = manager.informer(for: TrainingJob.self)
/// let pods = manager.informer(for: Pod.self)
/// manager.add(Controller(name: "trainingjob", reconciler: reconciler,
///     sources: [.primary(jobs), .owned(pods, by: TrainingJob.descriptor)],
///     maxConcurrentReconciles: options.maxConcurrentReconciles))
/// let group = ServiceGroup(configuration: .init(services: [manager], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
/// try await group.run()
/// ```
public final class Manager: ServiceLifecycle.Service, Sendable {
    public let options: ManagerOptions
    public let client: KubernetesClient
    public let registry: PrometheusCollectorRegistry
    public let clock: any RuntimeClock
    public let elector: LeaderElector?
    private let logger: Logger
    private let state = LockedState(State())

    struct RegisteredInformer: Sendable {
        var run: @Sendable () async throws -> Void
        var hasSynced: @Sendable () -> Bool
        var instance: any Sendable
    }

    struct State {
        var healthServer: EndpointServer?
        var metricsServer: EndpointServer?
        var informers: [String: RegisteredInformer] = [:]
        var informerOrder: [String] = []
        var controllers: [Controller] = []
        var collectors: [any MetricsCollector] = []
        var help: [String: String] = Manager.metricHelp
        var started = false
    }

    /// - Parameters:
    ///   - client: nil builds one from `options` (kubeconfig, QPS, burst).
    ///   - registry: where `/metrics` reads from; bootstrap swift-metrics with a
    ///     `PrometheusMetricsFactory` over the same registry.
    public init(options: ManagerOptions, client: KubernetesClient? = nil,
                registry: PrometheusCollectorRegistry = PrometheusMetricsFactory.defaultRegistry,
                clock: any RuntimeClock = SystemClock(), logger: Logger = Logger(label: "ringmaster.manager")) throws {
        self.options = options
        self.clock = clock
        self.registry = registry
        self.logger = logger
        self.client = try client ?? KubernetesClient(
            config: options.loadKubeConfig(),
            options: ClientOptions(qps: options.kubeAPIQPS, burst: options.kubeAPIBurst, clock: clock))
        if options.leaderElect {
            let host = ProcessInfo.processInfo.hostName
            let identity = options.leaderElectionIdentity ?? "\(host)_\(UUID().uuidString.lowercased())"
            elector = LeaderElector(
                client: self.client,
                config: LeaderElectionConfig(
                    leaseName: options.leaderElectionID,
                    namespace: options.leaderElectionNamespace ?? self.client.config.namespace,
                    identity: identity, leaseDuration: options.leaseDuration,
                    renewDeadline: options.renewDeadline, retryPeriod: options.retryPeriod),
                clock: clock, logger: logger)
        } else {
            elector = nil
        }
    }

    /// The shared informer for a typed kind (created on first use), watching
    /// `options.namespace` (all namespaces when empty). With a
    /// `labelSelector`, it lists and watches (and so caches) only the objects
    /// that match; informers of one kind with different selectors are
    /// separate.
    public func informer<Object: KubernetesResource>(for type: Object.Type, labelSelector: String? = nil) -> Informer<Object> {
        informer(key: "\(Object.descriptor.group)/\(Object.descriptor.plural)?labelSelector=\(labelSelector ?? "")") {
            Informer(client: client.resource(Object.self), namespace: options.watchedNamespaces,
                     labelSelector: labelSelector, resyncPeriod: options.syncPeriod, clock: clock)
        }
    }

    /// The shared informer for a kind without a model.
    public func informer(for descriptor: ResourceDescriptor) -> Informer<UnstructuredObject> {
        informer(key: "unstructured:\(descriptor.group)/\(descriptor.plural)") {
            Informer(client: client.unstructured(descriptor), namespace: options.watchedNamespaces,
                     resyncPeriod: options.syncPeriod, clock: clock)
        }
    }

    private func informer<Object>(key: String, make: () -> Informer<Object>) -> Informer<Object> {
        state.withLock { state in
            if let existing = state.informers[key]?.instance as? Informer<Object> { return existing }
            precondition(!state.started, "informers must be registered before the manager runs")
            let informer = make()
            state.informers[key] = RegisteredInformer(
                run: { try await informer.run() }, hasSynced: { informer.hasSynced }, instance: informer)
            state.informerOrder.append(key)
            return informer
        }
    }

    /// Adds a controller; it runs only while this manager leads (always when
    /// leader election is off).
    public func add(_ controller: Controller) {
        state.withLock { state in
            precondition(!state.started, "controllers must be added before the manager runs")
            state.controllers.append(controller)
        }
    }

    /// Adds series computed on each scrape of `/metrics` (only while this
    /// manager leads).
    public func addCollector(_ collector: any MetricsCollector) {
        state.withLock { state in
            precondition(!state.started, "collectors must be added before the manager runs")
            state.collectors.append(collector)
        }
    }

    /// Help texts for families made through swift-metrics, written as their
    /// `# HELP` lines (swift-prometheus writes none for them). The manager
    /// knows those of ControllerRuntime's own series.
    public func describeMetrics(_ help: [String: String]) {
        state.withLock { $0.help.merge(help) { _, new in new } }
    }

    /// What ControllerRuntime's series mean.
    public static let metricHelp: [String: String] = [
        "controller_runtime_reconcile_total": "Reconciles per controller, by result (success, error, requeue, requeue_after).",
        "controller_runtime_reconcile_errors_total": "Reconciles per controller that ended in an error.",
        "controller_runtime_terminal_reconcile_errors_total": "Reconciles per controller that ended in an error not retried.",
        "controller_runtime_reconcile_time_seconds": "Seconds each reconcile took, per controller.",
        "controller_runtime_max_concurrent_reconciles": "Reconciles a controller runs at once at most.",
        "controller_runtime_active_workers": "Reconciles a controller is running now.",
        "workqueue_depth": "Keys waiting in a work queue.",
        "workqueue_adds_total": "Keys added to a work queue.",
        "workqueue_retries_total": "Keys a work queue added again after a backoff.",
        "workqueue_queue_duration_seconds": "Seconds a key waited in a work queue before a worker took it.",
        "leader_election_master_status": "1 while this process holds the leader Lease, else 0.",
        "rest_client_requests_total": "Requests to the API server, by status code and method.",
    ]

    /// The text `/metrics` answers: the registry's series (with the help
    /// texts `describeMetrics` gave), then the collectors' while leading.
    public func metricsText() -> [UInt8] {
        let (collectors, help) = state.withLock { ($0.collectors, $0.help) }
        var bytes = PrometheusTextWriter.insertingHelp(into: registry.emitToBuffer(), help)
        guard isLeading, !collectors.isEmpty else { return bytes }
        var writer = PrometheusTextWriter(reservingCapacity: 64 * 1024)
        for collector in collectors { collector.collect(into: &writer) }
        bytes.append(contentsOf: writer.bytes)
        return bytes
    }

    /// All informers have synced.
    public var isReady: Bool {
        state.withLock { state in state.informers.values.allSatisfy { $0.hasSynced() } }
    }

    /// Whether this manager's controllers are running (leading, or no election).
    public var isLeading: Bool { elector?.isLeader ?? true }

    public func run() async throws {
        let (informers, controllers) = state.withLock { state -> ([RegisteredInformer], [Controller]) in
            state.started = true
            return (state.informerOrder.compactMap { state.informers[$0] }, state.controllers)
        }
        let options = self.options
        let logger = self.logger
        try await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                if options.healthProbeBindAddress != "0" {
                    let server = try EndpointServer(address: options.healthProbeBindAddress, logger: logger) { path in
                        await self.probe(path)
                    }
                    self.state.withLock { $0.healthServer = server }
                    group.addTask { try await server.run() }
                }
                if options.metricsBindAddress != "0" {
                    let server = try EndpointServer(address: options.metricsBindAddress, logger: logger) { path in
                        guard path == "/metrics" else { return .init(status: .notFound, text: "not found\n") }
                        return .init(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8",
                                     body: self.metricsText())
                    }
                    self.state.withLock { $0.metricsServer = server }
                    group.addTask { try await server.run() }
                }
                for informer in informers {
                    group.addTask { try await informer.run() }
                }
                group.addTask {
                    if let elector = self.elector {
                        try await elector.run { try await Self.runControllers(controllers) }
                    } else {
                        try await Self.runControllers(controllers)
                    }
                }
                // The first failure (lost leadership, a server that could not bind)
                // cancels everything else and ends the manager; so does cancellation.
                try await group.waitForAll()
            }
        }
    }

    /// The port `/healthz` and `/readyz` are served on, once listening (nil when disabled
    /// or before `run()`).
    public func healthServerPort() async -> Int? {
        guard let server = state.withLock({ $0.healthServer }) else { return nil }
        return await server.boundPort()
    }

    /// The port `/metrics` is served on, once listening (nil when disabled or before `run()`).
    public func metricsServerPort() async -> Int? {
        guard let server = state.withLock({ $0.metricsServer }) else { return nil }
        return await server.boundPort()
    }

    private static func runControllers(_ controllers: [Controller]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for controller in controllers { group.addTask { try await controller.run() } }
            try await group.waitForAll()
        }
    }

    func probe(_ path: String) async -> EndpointServer.Response {
        switch path {
        case "/healthz", "/livez":
            return .init(status: .ok, text: "ok\n")
        case "/readyz":
            if isReady { return .init(status: .ok, text: "ok\n") }
            return .init(status: .serviceUnavailable, text: "informers have not synced\n")
        default:
            return .init(status: .notFound, text: "not found\n")
        }
    }
}
