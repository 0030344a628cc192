import KubeClient
import TrainingJobAPI

/// Builds the least privilege the workers need: a ServiceAccount, a Role
/// allowing only `get` and `patch` on the status of this one TrainingJob,
/// and the RoleBinding between them. All three are owned by the job.
public enum WorkerRBACBuilder {
    public static func serviceAccount(_ job: TrainingJob) -> ServiceAccount {
        ServiceAccount(metadata: job.childMetadata(job.childNames.workerServiceAccount))
    }

    public static func role(_ job: TrainingJob) -> Role {
        Role(
            metadata: job.childMetadata(job.childNames.workerRole),
            rules: [
                PolicyRule(
                    apiGroups: [TrainingJob.descriptor.group], resources: ["\(TrainingJob.descriptor.plural)/status"],
                    resourceNames: [job.childNames.job], verbs: ["get", "patch"]),
            ])
    }

    public static func roleBinding(_ job: TrainingJob) -> RoleBinding {
        let names = job.childNames
        return RoleBinding(
            metadata: job.childMetadata(names.workerRoleBinding),
            roleRef: .init(apiGroup: Role.descriptor.group, kind: Role.descriptor.kind, name: names.workerRole),
            subjects: [.init(kind: ServiceAccount.descriptor.kind, name: names.workerServiceAccount, namespace: job.metadata.namespace)])
    }
}
