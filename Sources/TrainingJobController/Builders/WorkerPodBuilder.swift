import KubeClient
import TrainingJobAPI

/// Builds worker Pod `<job>-worker-<rank>` for one restart attempt.
///
/// The Pod carries the worker contract's environment (the auth token by
/// `secretKeyRef`), the claim mounted at `WorkerLayout.storageMountPath`,
/// the optional data-set claim read-only at `DatasetSpec.volumeMountPath`,
/// the job's template overlay, and on rank 0 of a bring-your-own trainer the
/// progress sidecar (`ProgressSidecarBuilder`). Where the overlay sets a label or env
/// name the operator sets too, the operator's value wins and the collision
/// is returned.
public enum WorkerPodBuilder {
    public struct Output: Sendable, Hashable {
        public var pod: Pod
        public var collisions: [OverlayCollision]
    }

    public static func build(
        _ job: TrainingJob, rank: Int, attempt: Int, settings: WorkerPodSettings
    ) -> Output {
        let spec = job.spec
        let names = job.childNames
        let overlay = spec.template ?? PodTemplateOverlay()
        var collisions: [OverlayCollision] = []

        let ours: [String: String] = [
            TrainingJobLabels.jobName: names.job,
            TrainingJobLabels.replicaIndex: String(rank),
            TrainingJobLabels.restartAttempt: String(attempt),
        ]
        var labels = overlay.labels ?? [:]
        for (key, value) in ours {
            if let theirs = labels[key], theirs != value { collisions.append(OverlayCollision(.label, key)) }
            labels[key] = value
        }

        let contract = WorkerEnvironmentBuilder.environment(job, rank: rank, attempt: attempt, settings: settings)
        var env = contract.variables.map { EnvVar(name: $0.name, value: $0.value) }
        env.append(EnvVar(
            name: WorkerEnvironment.Key.authToken,
            valueFrom: EnvVarSource(secretKeyRef: .init(name: names.ringTokenSecret, key: WorkerLayout.tokenKey))))
        let reserved = Set(env.map(\.name))
        for variable in overlay.env ?? [] {
            if reserved.contains(variable.name) {
                collisions.append(OverlayCollision(.env, variable.name))
            } else {
                env.append(variable)
            }
        }

        var mounts = [VolumeMount(name: WorkerLayout.storageVolume, mountPath: WorkerLayout.storageMountPath)]
        var volumes = [Volume(
            name: WorkerLayout.storageVolume,
            persistentVolumeClaim: PersistentVolumeClaimVolumeSource(claimName: VolumeClaimPolicy.claimName(job)))]
        if let dataset = spec.dataset.volume {
            mounts.append(VolumeMount(name: WorkerLayout.datasetVolume, mountPath: DatasetSpec.volumeMountPath, readOnly: true))
            volumes.append(Volume(
                name: WorkerLayout.datasetVolume,
                persistentVolumeClaim: PersistentVolumeClaimVolumeSource(claimName: dataset, readOnly: true)))
        }

        let sidecar = ProgressSidecarBuilder.applies(to: job, rank: rank, settings: settings)
        if sidecar {
            env.append(ProgressSidecarBuilder.environment)
            mounts.append(ProgressSidecarBuilder.mount)
            volumes.append(ProgressSidecarBuilder.volume)
        }

        let container = Container(
            name: WorkerLayout.containerName, image: settings.image(for: spec),
            command: spec.command, args: spec.args, env: env, resources: spec.resources,
            ports: [
                ContainerPort(name: "ring", containerPort: Int32(WorkerLayout.ringPort), protocol: "TCP"),
                ContainerPort(name: "master", containerPort: Int32(WorkerLayout.masterPort), protocol: "TCP"),
            ],
            volumeMounts: mounts, terminationMessagePath: "/dev/termination-log")

        var metadata = job.childMetadata(names.worker(rank))
        metadata.labels = labels
        metadata.annotations = overlay.annotations.flatMap { $0.isEmpty ? nil : $0 }

        let podSpec = PodSpec(
            containers: [container],
            initContainers: sidecar ? [ProgressSidecarBuilder.container(job, settings: settings)] : nil, restartPolicy: "Never",
            hostname: names.worker(rank), subdomain: names.service,
            nodeSelector: overlay.nodeSelector, tolerations: overlay.tolerations, affinity: overlay.affinity,
            priorityClassName: overlay.priorityClassName,
            serviceAccountName: overlay.serviceAccountName ?? names.workerServiceAccount,
            volumes: volumes, terminationGracePeriodSeconds: settings.terminationGracePeriodSeconds)
        return Output(pod: Pod(metadata: metadata, spec: podSpec), collisions: collisions)
    }
}
