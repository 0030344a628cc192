import KubeClient
import TrainingJobAPI

/// The progress sidecar of a bring-your-own trainer (docs/progress-contract.md).
///
/// A job whose image is not the Ringmaster worker image cannot report its
/// own progress, so rank 0's Pod gets: an `emptyDir` volume mounted at
/// `mountPath` in the trainer's container and in the sidecar,
/// `RINGMASTER_PROGRESS_FILE` (`filePath`) in the trainer's environment, and
/// a native sidecar (an init container with `restartPolicy: Always`) running
/// the operator's worker image as `ringmaster-worker report-progress`, which
/// reports the file's lines to the job's status with the Pod's
/// ServiceAccount. The other ranks, and jobs of the worker image (which
/// report themselves), get nothing.
public enum ProgressSidecarBuilder {
    public static let containerName = "progress"
    public static let volumeName = "progress"
    public static let mountPath = "/var/run/ringmaster/progress"
    public static let filePath = mountPath + "/progress.jsonl"
    /// The worker image's subcommand that runs the sidecar.
    public static let subcommand = "report-progress"

    /// Whether rank `rank` of `job` gets the sidecar.
    public static func applies(to job: TrainingJob, rank: Int, settings: WorkerPodSettings) -> Bool {
        rank == 0 && !settings.runsWorkerImage(job.spec)
    }

    /// The sidecar container (to go first among the init containers).
    public static func container(_ job: TrainingJob, settings: WorkerPodSettings) -> Container {
        Container(
            name: containerName, image: settings.workerImage ?? TrainingJobDefaults.image,
            args: [subcommand],
            env: [
                EnvVar(name: WorkerEnvironment.Key.jobName, value: job.childNames.job),
                EnvVar(name: WorkerEnvironment.Key.jobNamespace, value: job.metadata.namespace ?? "default"),
                EnvVar(name: WorkerEnvironment.Key.progressIntervalSeconds, value: String(settings.progressIntervalSeconds)),
                environment,
            ],
            resources: ResourceRequirements(requests: ["cpu": "10m", "memory": "32Mi"]),
            volumeMounts: [mount], terminationMessagePath: "/dev/termination-log",
            restartPolicy: "Always")
    }

    /// `RINGMASTER_PROGRESS_FILE`, for the trainer and the sidecar.
    public static var environment: EnvVar { EnvVar(name: ProgressContract.fileVariable, value: filePath) }

    public static var mount: VolumeMount { VolumeMount(name: volumeName, mountPath: mountPath) }

    public static var volume: Volume { Volume(name: volumeName, emptyDir: EmptyDirVolumeSource()) }
}

extension WorkerPodSettings {
    /// Whether a job's workers run the Ringmaster worker image (the API's
    /// default or the operator's `--worker-image`, any tag or digest), which
    /// reports its own progress.
    public func runsWorkerImage(_ spec: TrainingJobSpec) -> Bool {
        let repository = Self.repository(of: image(for: spec))
        return [TrainingJobDefaults.image, workerImage].compactMap { $0 }.contains { Self.repository(of: $0) == repository }
    }

    /// An image reference without its tag and digest: `a.io/b/c:1@sha256:...` -> `a.io/b/c`.
    static func repository(of image: String) -> String {
        var reference = Substring(image)
        if let at = reference.firstIndex(of: "@") { reference = reference[..<at] }
        if let colon = reference.lastIndex(of: ":"), !reference[colon...].contains("/") { reference = reference[..<colon] }
        return String(reference)
    }
}
