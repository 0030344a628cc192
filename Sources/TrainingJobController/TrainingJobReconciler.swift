import ControllerRuntime
import Foundation
import KubeClient
import Logging
import TrainingJobAPI

/// The thin layer that reads, plans and writes for one TrainingJob.
///
/// Each reconcile: read the job and its children from the informer caches;
/// plan (`TrainingJobPlanner`, pure); write the operator's status fields
/// (one merge patch, only when they changed, conditional on the job's
/// resourceVersion; a restart's decision and its bookkeeping, `restartCount`
/// and `disruptions`, go in that one write); then create and delete children (AlreadyExists and
/// NotFound are answers, not errors); then record events and metrics.
/// Writing the decision before acting on it makes the reconcile safe to
/// kill at any point. A failed write throws (rate-limited retry); a stale
/// cache throws too.
public struct TrainingJobReconciler: Reconciler {
    /// The informer caches the reconciler reads.
    public struct Caches: Sendable {
        public var jobs: ObjectStore<TrainingJob>
        public var pods: ObjectStore<Pod>
        public var services: ObjectStore<Service>
        public var secrets: ObjectStore<Secret>
        public var serviceAccounts: ObjectStore<ServiceAccount>
        public var roles: ObjectStore<Role>
        public var roleBindings: ObjectStore<RoleBinding>
        public var claims: ObjectStore<PersistentVolumeClaim>

        public init(
            jobs: ObjectStore<TrainingJob>, pods: ObjectStore<Pod>, services: ObjectStore<Service>,
            secrets: ObjectStore<Secret>, serviceAccounts: ObjectStore<ServiceAccount>, roles: ObjectStore<Role>,
            roleBindings: ObjectStore<RoleBinding>, claims: ObjectStore<PersistentVolumeClaim>
        ) {
            self.jobs = jobs
            self.pods = pods
            self.services = services
            self.secrets = secrets
            self.serviceAccounts = serviceAccounts
            self.roles = roles
            self.roleBindings = roleBindings
            self.claims = claims
        }
    }

    public let client: KubernetesClient
    public let caches: Caches
    public let planner: TrainingJobPlanner
    public let clock: any RuntimeClock
    public let events: EventRecorder
    public let metrics: TrainingJobMetrics
    public let logger: Logger
    /// Told how long each reconcile took (for benchmarks); may be nil.
    public let durationObserver: (@Sendable (Duration) -> Void)?

    public init(
        client: KubernetesClient, caches: Caches, planner: TrainingJobPlanner, clock: any RuntimeClock = SystemClock(),
        logger: Logger = Logger(label: "ringmaster.trainingjob"), durationObserver: (@Sendable (Duration) -> Void)? = nil
    ) {
        self.client = client
        self.caches = caches
        self.planner = planner
        self.clock = clock
        self.events = EventRecorder(client: client, logger: logger)
        self.metrics = TrainingJobMetrics()
        self.logger = logger
        self.durationObserver = durationObserver
    }

    public func reconcile(_ request: ReconcileRequest) async throws -> ReconcileResult {
        let started = clock.now()
        defer { durationObserver?(clock.now() - started) }
        guard let job = caches.jobs.get(ObjectKey(namespace: request.namespace, name: request.name)) else {
            return .done
        }
        let observed = observe(job)
        let now = clock.wallClock()
        let plan = try planner.plan(observed, now: now)
        let name = request.name
        let namespace = request.namespace
        let jobs = client.resource(TrainingJob.self)

        if let patch = try StatusPatch.make(from: job.status, to: plan.status, resourceVersion: job.metadata.resourceVersion) {
            _ = try await jobs.patchStatus(name, in: namespace, .merge(patch))
        }

        let failures = await perform(plan.actions, for: job)
        var events = plan.events
        for failure in failures {
            events.append(PlannedEvent(.warning, failure.reason, failure.message))
        }
        await self.events.record(events, about: job, now: now)
        metrics.record(plan.transitions, job: job, status: plan.status, now: now)
        if let failure = failures.first {
            throw ChildWriteError(message: failure.message)
        }
        return plan.requeueAfter.map { .requeue(after: $0) } ?? .done
    }

    /// The job's worker Pods and which other children exist, from the caches.
    public func observe(_ job: TrainingJob) -> ObservedTrainingJob {
        let names = job.childNames
        let namespace = job.metadata.namespace
        func key(_ name: String) -> ObjectKey { ObjectKey(namespace: namespace, name: name) }
        let pods = job.metadata.uid.map { caches.pods.list(ownerUID: $0) }?.filter { job.controls($0.metadata) } ?? []
        var present: Set<ObservedTrainingJob.Child> = []
        if caches.services.get(key(names.service)) != nil { present.insert(.service) }
        if caches.secrets.get(key(names.ringTokenSecret)) != nil { present.insert(.ringTokenSecret) }
        if caches.serviceAccounts.get(key(names.workerServiceAccount)) != nil { present.insert(.serviceAccount) }
        if caches.roles.get(key(names.workerRole)) != nil { present.insert(.role) }
        if caches.roleBindings.get(key(names.workerRoleBinding)) != nil { present.insert(.roleBinding) }
        if caches.claims.get(key(names.storageClaim)) != nil { present.insert(.storageClaim) }
        return ObservedTrainingJob(job: job, pods: pods, presentChildren: present)
    }

    struct ActionFailure: Sendable {
        var reason: String
        var message: String
    }

    /// Performs the actions concurrently; returns those that failed.
    func perform(_ actions: [ReconcileAction], for job: TrainingJob) async -> [ActionFailure] {
        await withTaskGroup(of: ActionFailure?.self) { group in
            for action in actions {
                group.addTask { await self.perform(action, for: job) }
            }
            var failures: [ActionFailure] = []
            for await failure in group {
                if let failure { failures.append(failure) }
            }
            return failures
        }
    }

    func perform(_ action: ReconcileAction, for job: TrainingJob) async -> ActionFailure? {
        let namespace = job.metadata.namespace
        do {
            switch action {
            case .createService(let service): try await create(service)
            case .createRingTokenSecret:
                try await create(RingTokenSecretBuilder.build(job, token: RingTokenSecretBuilder.randomToken()))
            case .createServiceAccount(let account): try await create(account)
            case .createRole(let role): try await create(role)
            case .createRoleBinding(let binding): try await create(binding)
            case .createClaim(let claim): try await create(claim)
            case .createPod(let pod, _): try await create(pod)
            case .deletePod(let name, let uid):
                do {
                    try await client.pods.delete(name, in: namespace, options: DeleteOptions(preconditionUID: uid))
                } catch let error as KubernetesAPIError where error.isNotFound || error.isConflict {
                    // Already gone, or replaced by a Pod with another UID: nothing of ours to delete.
                }
            case .deleteJob:
                do {
                    try await client.resource(TrainingJob.self).delete(
                        job.metadata.name ?? "", in: namespace,
                        options: DeleteOptions(propagationPolicy: .background, preconditionUID: job.metadata.uid))
                } catch let error as KubernetesAPIError where error.isNotFound {}
            }
            return nil
        } catch {
            let (reason, what): (String, String) = switch action {
            case .deletePod(let name, _): ("FailedDelete", "delete Pod \(name)")
            case .deleteJob: ("FailedDelete", "delete the TrainingJob after its TTL")
            default: ("FailedCreate", "create \(Self.describe(action))")
            }
            logger.warning("write failed", metadata: ["job": "\(namespace ?? "")/\(job.metadata.name ?? "")", "action": "\(what)", "error": "\(error)"])
            return ActionFailure(reason: reason, message: "Could not \(what): \(error)")
        }
    }

    func create<Object: KubernetesResource>(_ object: Object) async throws {
        do {
            _ = try await client.resource(Object.self).create(object)
        } catch let error as KubernetesAPIError where error.isAlreadyExists {
            // Fixed names: it exists, which is what we wanted.
        }
    }

    static func describe(_ action: ReconcileAction) -> String {
        switch action {
        case .createService(let s): "Service \(s.metadata.name ?? "")"
        case .createRingTokenSecret: "the ring token Secret"
        case .createServiceAccount(let a): "ServiceAccount \(a.metadata.name ?? "")"
        case .createRole(let r): "Role \(r.metadata.name ?? "")"
        case .createRoleBinding(let b): "RoleBinding \(b.metadata.name ?? "")"
        case .createClaim(let c): "PersistentVolumeClaim \(c.metadata.name ?? "")"
        case .createPod(let p, _): "Pod \(p.metadata.name ?? "")"
        case .deletePod(let name, _): "Pod \(name)"
        case .deleteJob: "TrainingJob"
        }
    }
}

/// A child could not be created or deleted; the reconcile is retried.
public struct ChildWriteError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
