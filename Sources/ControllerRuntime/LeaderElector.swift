import Foundation
import KubeClient
import Logging
import Metrics

/// Timing and identity of leader election.
public struct LeaderElectionConfig: Sendable, Hashable {
    /// Name and namespace of the coordination.k8s.io/v1 Lease.
    public var leaseName: String
    public var namespace: String
    /// This candidate's identity (unique per process, e.g. `hostname_uuid`).
    public var identity: String
    /// How long a lease is honoured after its holder last renewed it.
    public var leaseDuration: Duration
    /// How long the leader keeps trying to renew before it gives up leading.
    public var renewDeadline: Duration
    /// Pause between attempts to acquire or renew.
    public var retryPeriod: Duration
    /// Clear the holder when the elector stops gracefully, so another
    /// candidate takes over at once instead of after `leaseDuration`.
    public var releaseOnCancel: Bool

    public init(
        leaseName: String, namespace: String, identity: String, leaseDuration: Duration = .seconds(15),
        renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2), releaseOnCancel: Bool = true
    ) {
        self.leaseName = leaseName
        self.namespace = namespace
        self.identity = identity
        self.leaseDuration = leaseDuration
        self.renewDeadline = renewDeadline
        self.retryPeriod = retryPeriod
        self.releaseOnCancel = releaseOnCancel
    }
}

/// The leader lost its lease (it could not renew within the renew deadline,
/// or another candidate took it).
public struct LeadershipLostError: Error, Sendable, CustomStringConvertible {
    public var identity: String
    public var leaseName: String
    public var description: String { "\(identity) lost leadership of lease \(leaseName)" }
}

/// Leader election on a Lease, as client-go's leaderelection package: a
/// candidate acquires the lease when it is free or when its holder has not
/// renewed it for `leaseDuration` (measured on this candidate's own clock from
/// when it last saw the lease change); the leader renews every `retryPeriod`
/// and stops leading when it cannot renew for `renewDeadline`. All writes are
/// conditional on the lease's resourceVersion.
///
/// Metric: `leader_election_master_status{name}` is 1 while leading.
public final class LeaderElector: Sendable {
    public let config: LeaderElectionConfig
    private let leases: ResourceClient<Lease>
    private let clock: any RuntimeClock
    private let logger: Logger
    private let state = LockedState(State())
    private let statusGauge: Gauge

    struct State {
        var isLeader = false
        var observed: LeaseSpec?
        var observedResourceVersion: String?
        var observedAt: Duration = .zero
    }

    public init(client: KubernetesClient, config: LeaderElectionConfig, clock: (any RuntimeClock)? = nil,
                logger: Logger? = nil) {
        self.config = config
        self.leases = client.leases
        self.clock = clock ?? client.options.clock
        self.logger = logger ?? Logger(label: "ringmaster.leader-election")
        self.statusGauge = Gauge(label: "leader_election_master_status", dimensions: [("name", config.leaseName)])
        statusGauge.record(0)
    }

    /// Whether this candidate currently holds the lease.
    public var isLeader: Bool { state.withLock { $0.isLeader } }

    /// Campaigns until elected, then runs `lead` while renewing the lease.
    ///
    /// - Returns: when cancelled (after releasing the lease if configured) or
    ///   when `lead` returns.
    /// - Throws: `LeadershipLostError` when the lease could not be renewed;
    ///   `lead` has been cancelled and has finished by then. Errors of `lead` are
    ///   rethrown.
    public func run(lead: @escaping @Sendable () async throws -> Void) async throws {
        defer { setLeader(false) }
        try await acquire()
        logger.info("became leader", metadata: ["identity": "\(config.identity)", "lease": "\(config.leaseName)"])
        setLeader(true)
        enum Outcome: Sendable { case leadFinished, lost }
        do {
            try await withThrowingTaskGroup(of: Outcome.self) { group in
                group.addTask {
                    try await lead()
                    return .leadFinished
                }
                group.addTask {
                    try await self.renewUntilLost()
                    return .lost
                }
                let first = try await group.next()
                group.cancelAll()
                if first == .lost {
                    setLeader(false)
                    // Wait for `lead` to wind down; its cancellation errors are expected.
                    while let _ = try? await group.next() {}
                    logger.error("lost leadership", metadata: ["identity": "\(config.identity)"])
                    throw LeadershipLostError(identity: config.identity, leaseName: config.leaseName)
                }
            }
        } catch let error as LeadershipLostError {
            throw error
        } catch {
            if Task.isCancelled || error is CancellationError {
                await releaseIfConfigured()
                return
            }
            await releaseIfConfigured()
            throw error
        }
        await releaseIfConfigured()
    }

    private func setLeader(_ leading: Bool) {
        state.withLock { $0.isLeader = leading }
        statusGauge.record(leading ? 1 : 0)
    }

    private func acquire() async throws {
        while true {
            try Task.checkCancellation()
            if try await tryAcquireOrRenew() { return }
            try await clock.sleep(for: config.retryPeriod)
        }
    }

    private func renewUntilLost() async throws {
        var lastRenew = clock.now()
        while true {
            try await clock.sleep(for: config.retryPeriod)
            if (try? await tryAcquireOrRenew()) == true {
                lastRenew = clock.now()
            } else if clock.now() - lastRenew >= config.renewDeadline {
                return
            } else if !isHolderStillMe() {
                return
            }
        }
    }

    private func isHolderStillMe() -> Bool {
        state.withLock { state in
            guard let holder = state.observed?.holderIdentity, !holder.isEmpty else { return true }
            return holder == config.identity
        }
    }

    /// One attempt. Returns true when this candidate holds the lease afterwards.
    func tryAcquireOrRenew() async throws -> Bool {
        let now = clock.wallClock()
        let stamp = RFC3339.formatMicro(now)
        let seconds = Int32(max(1, config.leaseDuration.components.seconds))
        let current: Lease
        do {
            current = try await leases.get(config.leaseName, in: config.namespace)
        } catch let error as KubernetesAPIError where error.isNotFound {
            let lease = Lease(
                metadata: ObjectMeta(name: config.leaseName, namespace: config.namespace),
                spec: LeaseSpec(holderIdentity: config.identity, leaseDurationSeconds: seconds,
                                acquireTime: stamp, renewTime: stamp, leaseTransitions: 0))
            do {
                let created = try await leases.create(lease)
                observe(created)
                return true
            } catch let error as KubernetesAPIError where error.isAlreadyExists || error.isConflict {
                return false
            }
        }
        observe(current)
        let spec = current.spec ?? LeaseSpec()
        let holder = spec.holderIdentity ?? ""
        let iAmHolder = holder == config.identity
        if !holder.isEmpty && !iAmHolder {
            let (observedAt, duration) = state.withLock { state -> (Duration, Duration) in
                let seconds = state.observed?.leaseDurationSeconds.map { Duration.seconds(Int64($0)) }
                return (state.observedAt, seconds ?? config.leaseDuration)
            }
            if clock.now() < observedAt + duration { return false }
        }
        var updated = current
        var newSpec = spec
        newSpec.holderIdentity = config.identity
        newSpec.leaseDurationSeconds = seconds
        newSpec.renewTime = stamp
        if !iAmHolder {
            newSpec.acquireTime = stamp
            newSpec.leaseTransitions = (spec.leaseTransitions ?? 0) + (holder.isEmpty && spec.acquireTime == nil ? 0 : 1)
        }
        updated.spec = newSpec
        do {
            let written = try await leases.update(updated)
            observe(written)
            return true
        } catch let error as KubernetesAPIError where error.isConflict {
            return false
        }
    }

    private func observe(_ lease: Lease) {
        state.withLock { state in
            let spec = lease.spec
            if state.observed != spec || state.observedResourceVersion != lease.metadata.resourceVersion {
                state.observed = spec
                state.observedResourceVersion = lease.metadata.resourceVersion
                state.observedAt = clock.now()
            }
        }
    }

    private func releaseIfConfigured() async {
        guard config.releaseOnCancel else { return }
        // Runs during shutdown: it must not inherit the cancellation.
        await Task.detachedRelease {
            do {
                var lease = try await self.leases.get(self.config.leaseName, in: self.config.namespace)
                guard lease.spec?.holderIdentity == self.config.identity else { return }
                let stamp = RFC3339.formatMicro(self.clock.wallClock())
                lease.spec?.holderIdentity = nil
                lease.spec?.leaseDurationSeconds = 1
                lease.spec?.renewTime = stamp
                lease.spec?.acquireTime = stamp
                _ = try await self.leases.update(lease)
                self.logger.info("released the lease", metadata: ["identity": "\(self.config.identity)"])
            } catch {
                self.logger.warning("could not release the lease", metadata: ["error": "\(error)"])
            }
        }
    }
}

extension Task where Success == Never, Failure == Never {
    /// Runs `body` to completion even when the calling task is cancelled (used
    /// for the final lease release during graceful shutdown), and waits for it.
    static func detachedRelease(_ body: @escaping @Sendable () async -> Void) async {
        await Task<Void, Never>.detached { await body() }.value
    }
}
