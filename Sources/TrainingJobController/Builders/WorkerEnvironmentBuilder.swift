import TrainingJobAPI

/// Builds the worker environment contract for one rank of a job.
public enum WorkerEnvironmentBuilder {
    /// The DNS name of `rank`: `<job>-worker-<rank>.<job>.<namespace>.svc`.
    public static func hostName(_ job: TrainingJob, rank: Int) -> String {
        let names = job.childNames
        return "\(names.worker(rank)).\(names.service).\(job.metadata.namespace ?? "default").svc"
    }

    /// The contract for `rank` in restart attempt `attempt`. `authToken` is
    /// left empty: the Pod reads it from the job's Secret. `WORLD_SIZE`
    /// counts every process (`workers * processesPerWorker`); `RANK` and
    /// `PET_NODE_RANK` are the worker's index.
    public static func environment(
        _ job: TrainingJob, rank: Int, attempt: Int, settings: WorkerPodSettings
    ) -> WorkerEnvironment {
        let spec = job.spec
        let peers = (0..<spec.workers).map { "\(hostName(job, rank: $0)):\(WorkerLayout.ringPort)" }
        return WorkerEnvironment(
            rank: rank, worldSize: spec.workers * spec.processesPerWorker,
            masterAddress: hostName(job, rank: 0), masterPort: WorkerLayout.masterPort,
            jobName: job.metadata.name ?? "", jobNamespace: job.metadata.namespace ?? "default",
            jobUID: job.metadata.uid ?? "",
            peers: peers, ringPort: WorkerLayout.ringPort, authToken: "", restartAttempt: attempt,
            checkpointDirectory: WorkerLayout.checkpointDirectory,
            artifactDirectory: WorkerLayout.artifactDirectory,
            checkpointEverySteps: spec.hyperparameters.checkpointEverySteps,
            datasetSource: spec.dataset.source.rawValue, datasetName: spec.dataset.name,
            datasetPath: spec.dataset.path ?? "", datasetFormat: spec.dataset.format.rawValue,
            datasetLabelColumn: spec.dataset.labelColumn,
            datasetTrainLimit: spec.dataset.trainLimit ?? 0, datasetTestLimit: spec.dataset.testLimit ?? 0,
            hiddenLayers: spec.model.hiddenLayers, epochs: spec.hyperparameters.epochs,
            batchSize: spec.hyperparameters.batchSize, learningRate: spec.hyperparameters.learningRate,
            optimizer: spec.hyperparameters.optimizer.rawValue, momentum: spec.hyperparameters.momentum,
            seed: UInt64(max(0, spec.hyperparameters.seed)),
            progressIntervalSeconds: settings.progressIntervalSeconds,
            peerTimeoutSeconds: settings.peerTimeoutSeconds,
            heartbeatSeconds: StallPolicy.heartbeatSeconds(progressDeadlineSeconds: spec.runPolicy.progressDeadlineSeconds),
            learningRateSchedule: spec.hyperparameters.learningRateSchedule.rawValue.lowercased(),
            processesPerNode: spec.processesPerWorker)
    }
}
