import ControllerRuntime
import KubeClient
import Logging
import TrainingJobAPI

/// Registers the TrainingJob controller with a `Manager`: the informers it
/// reads (TrainingJobs, and of every kind of child the objects labelled
/// `ringmaster.dev/job-name`) and a controller fed by the
/// jobs and by changes of the children they control; and the per-job series
/// of `/metrics` (`TrainingJobStatusMetrics`, from the job cache).
public enum TrainingJobControllerSetup {
    @discardableResult
    public static func register(
        in manager: Manager, settings: WorkerPodSettings = WorkerPodSettings(), maxConcurrentReconciles: Int = 1,
        logger: Logger = Logger(label: "ringmaster.trainingjob"),
        durationObserver: (@Sendable (Duration) -> Void)? = nil
    ) -> Controller {
        let jobs = manager.informer(for: TrainingJob.self)
        // Every child the operator creates carries the job-name label; caching
        // only those keeps the cluster's other Pods, Secrets and so on out of
        // the operator's memory.
        let children = TrainingJobLabels.jobName
        let pods = manager.informer(for: Pod.self, labelSelector: children)
        let services = manager.informer(for: Service.self, labelSelector: children)
        let secrets = manager.informer(for: Secret.self, labelSelector: children)
        let serviceAccounts = manager.informer(for: ServiceAccount.self, labelSelector: children)
        let roles = manager.informer(for: Role.self, labelSelector: children)
        let roleBindings = manager.informer(for: RoleBinding.self, labelSelector: children)
        let claims = manager.informer(for: PersistentVolumeClaim.self, labelSelector: children)
        let reconciler = TrainingJobReconciler(
            client: manager.client,
            caches: .init(
                jobs: jobs.store, pods: pods.store, services: services.store, secrets: secrets.store,
                serviceAccounts: serviceAccounts.store, roles: roles.store, roleBindings: roleBindings.store,
                claims: claims.store),
            planner: TrainingJobPlanner(settings: settings), clock: manager.clock, logger: logger,
            durationObserver: durationObserver)
        let owner = TrainingJob.descriptor
        let controller = Controller(
            name: "trainingjob", reconciler: reconciler,
            sources: [
                .primary(jobs), .owned(pods, by: owner), .owned(services, by: owner), .owned(secrets, by: owner),
                .owned(serviceAccounts, by: owner), .owned(roles, by: owner), .owned(roleBindings, by: owner),
                .owned(claims, by: owner),
            ],
            maxConcurrentReconciles: maxConcurrentReconciles, clock: manager.clock, logger: logger)
        manager.add(controller)
        manager.addCollector(TrainingJobStatusMetrics(jobs: jobs.store, clock: manager.clock))
        manager.describeMetrics(TrainingJobMetrics.help)
        return controller
    }
}
