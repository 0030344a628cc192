import Foundation
import KubeClient
import RingmasterTesting
@testable import TrainingJobAPI

/// Shared inputs of the TrainingJobAPI tests.
enum Fixtures {
    static let root = ExternalTools.packageRoot

    static func file(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }

    static func read(_ relativePath: String) throws -> String {
        try String(contentsOf: file(relativePath), encoding: .utf8)
    }

    static let sampleFiles = [
        "config/samples/ringmaster_v1alpha1_trainingjob.yaml",
        "config/samples/ringmaster_v1alpha1_trainingjob_pytorch.yaml",
        "examples/pytorch-ddp/trainingjob.yaml",
    ]

    /// A valid job to break in one place at a time.
    static func validJob() -> TrainingJob {
        TrainingJob(
            metadata: ObjectMeta(name: "fashion", namespace: "default"),
            spec: TrainingJobSpec(workers: 2))
    }

    /// A TrainingJob with every field of spec and status set (lists with
    /// enough elements to use every field of their items), for round trips
    /// and for comparing the Codable keys with the schema.
    static func fullyPopulatedJob() -> TrainingJob {
        let now = "2026-11-23T16:00:00Z"
        let spec = TrainingJobSpec(
            workers: 4,
            image: "example.com/trainer:1.0",
            command: ["torchrun"],
            args: ["--nnodes=$(WORLD_SIZE)", "/train.py"],
            resources: ResourceRequirements(
                limits: ["cpu": "2", "memory": "4Gi", "nvidia.com/gpu": "1"],
                requests: ["cpu": "500m", "memory": "1Gi"]),
            model: ModelSpec(hiddenLayers: [512, 256, 64]),
            hyperparameters: HyperparametersSpec(
                epochs: 7, batchSize: 128, learningRate: 0.05, optimizer: .adam,
                momentum: 0.5, seed: 1234, checkpointEverySteps: 250),
            dataset: DatasetSpec(
                source: .path, name: "fashion-mnist", path: "/data/sets/fashion", format: .csv,
                labelColumn: "class", trainLimit: 1000, testLimit: 200, volume: "datasets"),
            storage: StorageSpec(size: "5Gi", storageClassName: "fast", existingClaim: "shared", retainPolicy: .retain),
            runPolicy: RunPolicy(
                backoffLimit: 5, activeDeadlineSeconds: 7200, ttlSecondsAfterFinished: 600,
                cleanPodPolicy: .all, suspend: true, progressDeadlineSeconds: 120, restartBackoffSeconds: 3,
                failurePolicy: FailurePolicySpec(rules: [
                    .exitCodes(.failJob, .in, [42], containerName: "worker"),
                    .reasons(.restartJobAndIgnoreBackoffLimit, [.evicted, .preempted]),
                ])),
            template: PodTemplateOverlay(
                labels: ["team": "vision"],
                annotations: ["example.com/owner": "ml"],
                nodeSelector: ["kubernetes.io/arch": "amd64"],
                tolerations: [Toleration(key: "gpu", operator: "Equal", value: "yes", effect: "NoSchedule", tolerationSeconds: 30)],
                affinity: .object(["nodeAffinity": .object([:])]),
                priorityClassName: "high",
                serviceAccountName: "trainer",
                env: [
                    EnvVar(name: "PLAIN", value: "1"),
                    EnvVar(name: "FROM_SECRET", valueFrom: EnvVarSource(
                        secretKeyRef: .init(name: "s", key: "k", optional: true),
                        configMapKeyRef: .init(name: "c", key: "k", optional: false),
                        fieldRef: .init(apiVersion: "v1", fieldPath: "metadata.name"),
                        resourceFieldRef: .object(["resource": .string("limits.cpu")]))),
                ]),
            processesPerWorker: 2)
        let status = TrainingJobStatus(
            phase: .running,
            conditions: [Condition(
                type: "Running", status: "True", observedGeneration: 3, lastTransitionTime: now,
                reason: TrainingJobReason.allWorkersRunning, message: "All 4 workers are running.")],
            message: "Epoch 2/7, loss 0.41",
            workers: WorkerCounts(active: 4, ready: 4, succeeded: 0, failed: 1),
            workersReady: "4/4",
            restartCount: 1,
            disruptions: 1,
            startTime: now,
            completionTime: now,
            observedGeneration: 3,
            progress: TrainingProgress(
                epoch: 2, totalEpochs: 7, step: 900, loss: 0.41, accuracy: 0.85,
                samplesPerSecond: 12000.5, lastUpdateTime: now),
            checkpoint: CheckpointStatus(step: 750, path: "/checkpoints/step-750.ckpt", time: now),
            failure: FailureStatus(rank: 2, pod: "x-worker-2", exitCode: 10, reason: "Error", message: "peer timeout"),
            metrics: TrainingMetrics(testAccuracy: 0.89, testLoss: 0.31, trainingSeconds: 120.5, samplesPerSecond: 11000),
            artifact: ArtifactStatus(path: "/artifacts/model.bin", claimName: "x-storage"),
            ranks: [
                "0": RankStatus(attempt: 1, step: 900, heartbeatTime: now, activity: .allReduce, activitySince: now),
                "1": RankStatus(attempt: 1, step: 899, heartbeatTime: now, activity: .computing, activitySince: now),
            ])
        return TrainingJob(
            metadata: ObjectMeta(name: "full", namespace: "default", generation: 3, labels: ["a": "b"]),
            spec: spec, status: status)
    }
}
