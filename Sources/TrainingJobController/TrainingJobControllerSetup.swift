import ControllerRuntime
import KubeClient
import Logging
import TrainingJobAPI

/// Registers the TrainingJob controller with a `Manager`: the informers it
/// reads (TrainingJobs and every kind of child) and a controller fed by the
/// jobs and by changes of the children they control.
public enum TrainingJobControllerSetup {
    @discardableResult
    public static func register(
        in manager: Manager, settings: WorkerPodSettings = WorkerPodSettings(), maxConcurrentReconciles: Int = 1,
        logger: Logger = Logger(label: "ringmaster.trainingjob"),
        durationObserver: (@Sendable (Duration) -> Void)? = nil
    ) -> Controller {
        let jobs = manager.informer(for: TrainingJob.self)
        let pods = manager.informer(for: Pod.self)
        let services = manager.informer(for: Service.self)
        let secrets = manager.informer(for: Secret.self)
        let serviceAccounts = manager.informer(for: ServiceAccount.self)
        let roles = manager.informer(for: Role.self)
        let roleBindings = manager.informer(for: RoleBinding.self)
        let claims = manager.informer(for: PersistentVolumeClaim.self)
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
        return controller
    }
}
