import KubeClient

/// The OpenAPI schema of TrainingJob, the single description from which the
/// CRD is generated. A test walks it against the Swift types' coding keys
/// and defaults, so the two cannot drift.
public enum TrainingJobSchema {
    public static let maxWorkers = 1024
    public static let maxHiddenLayers = 16
    public static let maxLayerWidth = 65536
    public static let maxEpochs = 100_000
    public static let maxBatchSize = 1_048_576
    public static let maxLearningRate = 10.0
    public static let maxBackoffLimit = 100
    public static let maxRestartBackoffSeconds = 3600
    /// Bounds `spec.template.env` so the API server can bound the cost of its CEL rule.
    public static let maxEnvVars = 128
    public static let maxProcessesPerWorker = 256
    /// As a Kubernetes Job's `podFailurePolicy`: at most 20 rules of at most 255 exit codes each.
    public static let maxFailurePolicyRules = 20
    public static let maxExitCodeValues = 255

    /// `openAPIV3Schema` of the CRD's only version.
    public static let root: OpenAPISchema = .object(
        "TrainingJob runs distributed data-parallel training: `spec.workers` Pods train one model "
            + "together, averaging gradients with a ring all-reduce, and report progress in `status`.",
        required: ["spec"],
        [
            "apiVersion": .string(
                "APIVersion defines the versioned schema of this representation of an object. "
                    + "Servers should convert recognized schemas to the latest internal value, and may reject "
                    + "unrecognized values."),
            "kind": .string(
                "Kind is a string value representing the REST resource this object represents. "
                    + "In CamelCase."),
            "metadata": OpenAPISchema(type: .object, description: "Standard object metadata."),
            "spec": spec,
            "status": status,
        ])
        .rule(
            "!has(self.metadata.name) || self.metadata.name.size() <= \(ValidationPatterns.jobNameMaxLength)",
            message: "metadata.name must be at most \(ValidationPatterns.jobNameMaxLength) characters, "
                + "so that worker Pod names (<name>-worker-<index>) fit in a host name")

    // MARK: spec

    static let spec: OpenAPISchema = .object(
        "What to train, on how many workers, and how. Every field has a default, so `spec: {}` "
            + "trains the default model on Fashion-MNIST with one worker.",
        [
            "workers": .integer(
                "Number of worker Pods; they form one ring (the world size).",
                default: TrainingJobDefaults.workers, minimum: 1, maximum: maxWorkers, format: "int32"),
            "processesPerWorker": .integer(
                "Processes a launcher such as torchrun starts in each worker Pod: every Pod gets "
                    + "PET_NPROC_PER_NODE with this value, and WORLD_SIZE is workers * processesPerWorker. "
                    + "The Ringmaster worker image runs one process per Pod, so it requires 1.",
                default: TrainingJobDefaults.processesPerWorker, minimum: 1, maximum: maxProcessesPerWorker,
                format: "int32"),
            "image": .string(
                "Worker container image. Defaults to the Ringmaster worker runtime, which reads the job "
                    + "from its environment. A bring-your-own image (for example PyTorch DDP) gets the same "
                    + "RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT variables.",
                default: TrainingJobDefaults.image, minLength: 1),
            "command": .array(
                "Entrypoint of the worker container, replacing the image's (bring-your-own images).",
                of: .string("One element of the command."), minItems: 1),
            "args": .array(
                "Arguments of the worker container, replacing the image's (bring-your-own images).",
                of: .string("One argument.")),
            "resources": resources,
            "model": model,
            "hyperparameters": hyperparameters,
            "dataset": dataset,
            "storage": storage,
            "runPolicy": runPolicy,
            "template": template,
        ])
        .rule(
            "!has(self.hyperparameters) || !has(self.hyperparameters.batchSize) || !has(self.workers) "
                + "|| self.hyperparameters.batchSize % self.workers == 0",
            message: "hyperparameters.batchSize must be a multiple of workers, so that every worker gets an equal share")
        .rule(
            "!has(self.processesPerWorker) || self.processesPerWorker == 1 || has(self.command) "
                + "|| (has(self.image) && self.image != '\(TrainingJobDefaults.image)')",
            message: "processesPerWorker must be 1 for the Ringmaster worker image, which runs one process per worker; "
                + "set image and command to run a launcher such as torchrun")

    static let quantity = OpenAPISchema.intOrString(
        "A resource quantity, such as `500m`, `2`, `4Gi`.", pattern: ValidationPatterns.quantity)

    static let resources: OpenAPISchema = .object(
        "Compute resources of every worker container, as in a Pod: `cpu`, `memory`, `nvidia.com/gpu`.",
        [
            "limits": .map("Most of each resource a worker may use.", values: quantity),
            "requests": .map("Resources reserved for each worker when it is scheduled.", values: quantity),
        ])

    static let model: OpenAPISchema = .object(
        "The network: a multi-layer perceptron whose input and output widths come from the data set. "
            + "Immutable: a checkpoint fits only the model it was written for.",
        [
            "hiddenLayers": .array(
                "Widths of the hidden layers, input side first.",
                of: .integer("Width of one hidden layer.", minimum: 1, maximum: maxLayerWidth, format: "int32"),
                minItems: 1, maxItems: maxHiddenLayers)
                .defaulting(.array(TrainingJobDefaults.hiddenLayers.map { .integer(Int64($0)) })),
        ])
        .defaulting(.object([:]))
        .immutable("model is immutable")

    static let hyperparameters: OpenAPISchema = .object(
        "How the model is trained.",
        [
            "epochs": .integer(
                "Passes over the training set.",
                default: TrainingJobDefaults.epochs, minimum: 1, maximum: maxEpochs, format: "int32"),
            "batchSize": .integer(
                "Global batch size: samples per optimizer step over all workers; each worker takes "
                    + "batchSize/workers. Must be a multiple of workers.",
                default: TrainingJobDefaults.batchSize, minimum: 1, maximum: maxBatchSize, format: "int32"),
            "learningRate": .number(
                "Step size of the optimizer; with a `Cosine` schedule, the rate of the first step.", default: TrainingJobDefaults.learningRate,
                minimum: 0, exclusiveMinimum: true, maximum: maxLearningRate),
            "learningRateSchedule": .string(
                "How the learning rate moves over the run: `Constant` keeps learningRate at every step; "
                    + "`Cosine` decays it along a half cosine from learningRate at the first step to 0 after the "
                    + "last step of the last epoch. The schedule follows the global step, so a run resumed from a "
                    + "checkpoint continues it where it stopped.",
                default: TrainingJobDefaults.learningRateSchedule.rawValue, enum: LearningRateSchedule.knownRawValues),
            "optimizer": .string(
                "`sgd` (with momentum) or `adam`.",
                default: TrainingJobDefaults.optimizer.rawValue, enum: Optimizer.knownRawValues),
            "momentum": .number(
                "Momentum of `sgd`, in [0, 1); ignored by `adam`.", default: TrainingJobDefaults.momentum,
                minimum: 0, maximum: 1, exclusiveMaximum: true),
            "seed": .integer(
                "Seeds weight initialisation and shuffling: the same seed and worker count repeat a run.",
                default: TrainingJobDefaults.seed, minimum: 0),
            "checkpointEverySteps": .integer(
                "Write a checkpoint every this many optimizer steps, and at the end of every epoch; 0 "
                    + "checkpoints only at epoch ends. After a failure the ring resumes from the newest checkpoint.",
                default: TrainingJobDefaults.checkpointEverySteps, minimum: 0),
        ])
        .defaulting(.object([:]))

    static let dataset: OpenAPISchema = .object(
        "The data set. Immutable.",
        [
            "source": .string(
                "`builtin`: a data set the worker image ships, chosen by `name`; `path`: files at `path`.",
                default: TrainingJobDefaults.datasetSource.rawValue, enum: DatasetSource.knownRawValues),
            "name": .string(
                "The built-in data set (source `builtin`); ignored for source `path`.",
                default: TrainingJobDefaults.datasetName, enum: DatasetSpec.builtinNames),
            "path": .string(
                "Absolute path in the worker container (source `path`): a directory of IDX files "
                    + "(train-images-idx3-ubyte[.gz] and its siblings) or a directory holding train.csv and test.csv. "
                    + "With `volume`, it lies under \(DatasetSpec.volumeMountPath).",
                pattern: ValidationPatterns.absolutePath, maxLength: 4096),
            "format": .string(
                "File format: `idx` (MNIST style) or `csv` (header row, one label column, numeric features). "
                    + "Built-in data sets are `idx`.",
                default: TrainingJobDefaults.datasetFormat.rawValue, enum: DatasetFormat.knownRawValues),
            "labelColumn": .string(
                "For `csv`: the column holding the class label (integers from 0).",
                default: TrainingJobDefaults.datasetLabelColumn, minLength: 1),
            "trainLimit": .integer(
                "Train on at most this many samples (all when unset); for quick runs.", minimum: 1),
            "testLimit": .integer("Evaluate on at most this many test samples (all when unset).", minimum: 1),
            "volume": .string(
                "Name of an existing PersistentVolumeClaim holding the data set, mounted read-only at "
                    + "\(DatasetSpec.volumeMountPath) in every worker (source `path`).",
                pattern: ValidationPatterns.dns1123Subdomain, maxLength: ValidationPatterns.dns1123SubdomainMaxLength),
        ])
        .defaulting(.object([:]))
        .immutable("dataset is immutable")
        .rule("self.source != 'path' || has(self.path)", message: "dataset.path is required when dataset.source is path")
        .rule("self.source != 'builtin' || !has(self.path)", message: "dataset.path must not be set when dataset.source is builtin")
        .rule("self.source != 'builtin' || self.format == 'idx'", message: "built-in data sets are in idx format")
        .rule("!has(self.volume) || self.source == 'path'", message: "dataset.volume requires dataset.source path")
        .rule(
            "!has(self.volume) || !has(self.path) || self.path.startsWith('\(DatasetSpec.volumeMountPath)/')",
            message: "with dataset.volume, dataset.path must lie under \(DatasetSpec.volumeMountPath)/")

    static let storage: OpenAPISchema = .object(
        "The volume for checkpoints and the trained model, shared by all workers: either a claim the "
            + "operator creates (size, storageClassName) or an existing claim.",
        [
            "size": quantity.describing(
                "Size of the claim the operator creates; \(TrainingJobDefaults.storageSize) when neither size nor existingClaim is set."),
            "storageClassName": .string(
                "StorageClass of the claim the operator creates; the cluster default when unset.",
                pattern: ValidationPatterns.dns1123Subdomain, maxLength: ValidationPatterns.dns1123SubdomainMaxLength),
            "existingClaim": .string(
                "Name of an existing PersistentVolumeClaim to use instead; never deleted by the operator.",
                pattern: ValidationPatterns.dns1123Subdomain, maxLength: ValidationPatterns.dns1123SubdomainMaxLength),
            "retainPolicy": .string(
                "`Delete`: the claim the operator created is deleted with the TrainingJob; `Retain`: it is kept.",
                default: TrainingJobDefaults.retainPolicy.rawValue, enum: RetainPolicy.knownRawValues),
        ])
        .defaulting(.object([:]))
        .rule("!(has(self.existingClaim) && has(self.size))", message: "set storage.size or storage.existingClaim, not both")
        .rule(
            "!(has(self.existingClaim) && has(self.storageClassName))",
            message: "storage.storageClassName applies only to a claim the operator creates, not to storage.existingClaim")

    static let runPolicy: OpenAPISchema = .object(
        "Retries, deadlines, clean-up and suspension.",
        [
            "backoffLimit": .integer(
                "Gang restarts allowed after worker failures before the job is Failed (BackoffLimitExceeded).",
                default: TrainingJobDefaults.backoffLimit, minimum: 0, maximum: maxBackoffLimit, format: "int32"),
            "activeDeadlineSeconds": .integer(
                "The job is Failed (DeadlineExceeded) when it runs longer than this, counted from status.startTime.",
                minimum: 1),
            "ttlSecondsAfterFinished": .integer(
                "A finished job (Succeeded or Failed) is deleted this many seconds after status.completionTime.",
                minimum: 0),
            "cleanPodPolicy": .string(
                "Worker Pods deleted when the job finishes: `All`, `Running` (keep finished Pods for their logs) or `None`.",
                default: TrainingJobDefaults.cleanPodPolicy.rawValue, enum: CleanPodPolicy.knownRawValues),
            "suspend": .boolean(
                "True deletes the workers and keeps the checkpoint (phase Suspended); false resumes from it.",
                default: TrainingJobDefaults.suspend),
            "progressDeadlineSeconds": .integer(
                "A running job whose status.progress.lastUpdateTime is older than this is Stalled and "
                    + "gang-restarted (counting against backoffLimit); status.failure names the rank that held the ring up, "
                    + "from the workers' heartbeats in status.ranks. No stall detection (and no heartbeats) when unset.",
                minimum: 1),
            "restartBackoffSeconds": .integer(
                "Base of the exponential delay before a gang restart: restartBackoffSeconds * 2^restartCount, "
                    + "at most 300 seconds.",
                default: TrainingJobDefaults.restartBackoffSeconds, minimum: 0, maximum: maxRestartBackoffSeconds,
                format: "int32"),
            "failurePolicy": failurePolicy,
        ])
        .defaulting(.object([:]))

    static let failurePolicy: OpenAPISchema = .object(
        "What a worker failure does to the job. A failure is matched against rules in order, then against the "
            + "default rules (exit code 20 of the Ringmaster worker: FailJob; ImagePullFailed: FailJob; Evicted, "
            + "Preempted, NodeLost, Deleted: RestartJobAndIgnoreBackoffLimit); the first match decides. A failed "
            + "worker that no rule matches restarts the ring and counts toward backoffLimit.",
        [
            "rules": .array(
                "Rules tried in order, before the default rules. A rule that an earlier one makes unreachable "
                    + "with another action is rejected.",
                of: failurePolicyRule, maxItems: maxFailurePolicyRules),
        ])

    static let failurePolicyRule: OpenAPISchema = .object(
        "Maps worker failures to an action; exactly one of onExitCodes and onReasons.", required: ["action"],
        [
            "action": .string(
                "`FailJob`: the job fails at once. `RestartJob`: gang restart from the last checkpoint, counted "
                    + "toward backoffLimit. `RestartJobAndIgnoreBackoffLimit`: gang restart, not counted.",
                enum: FailurePolicyAction.knownRawValues),
            "onExitCodes": .object(
                "Matches a failed worker Pod by the exit codes of its terminated containers.",
                required: ["operator", "values"],
                [
                    "containerName": .string(
                        "Only this container's exit code is compared (the worker container is `worker`); "
                            + "every container's when unset.",
                        pattern: ValidationPatterns.dns1123Label, maxLength: ValidationPatterns.dns1123LabelMaxLength),
                    "operator": .string(
                        "`In`: some container exited with one of values. `NotIn`: some container exited with a "
                            + "non-zero code that is none of values.",
                        enum: ExitCodeOperator.knownRawValues),
                    "values": OpenAPISchema.array(
                        "Exit codes, without duplicates; 0 (success) is not allowed with In.",
                        of: .integer("An exit code.", format: "int32"), minItems: 1, maxItems: maxExitCodeValues)
                        .listType("set"),
                ])
                .rule(
                    "self.operator != 'In' || !self.values.exists(v, v == 0)",
                    message: "exit code 0 is a success and cannot be matched with operator In"),
            "onReasons": OpenAPISchema.array(
                "Matches a worker failure by why the Pod stopped: OOMKilled, Evicted, Preempted, NodeLost, "
                    + "Deleted (by someone else, or gone after every worker started) or ImagePullFailed.",
                of: .string("A reason.", enum: PodFailureReason.knownRawValues),
                minItems: 1, maxItems: PodFailureReason.knownValues.count)
                .listType("set"),
        ])
        .rule("has(self.onExitCodes) != has(self.onReasons)", message: "set exactly one of onExitCodes and onReasons")

    static let template: OpenAPISchema = .object(
        "Added to every worker Pod. Labels and annotations under `ringmaster.dev/` are reserved, and so are "
            + "the environment variables the operator sets (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, PET_NNODES, "
            + "PET_NPROC_PER_NODE, PET_NODE_RANK, PET_MASTER_ADDR, PET_MASTER_PORT, RINGMASTER_*).",
        [
            "labels": .map("Labels added to every worker Pod.", values: .string("A label value.")),
            "annotations": .map("Annotations added to every worker Pod.", values: .string("An annotation value.")),
            "nodeSelector": .map("Node labels a worker's node must have.", values: .string("A label value.")),
            "tolerations": .array("Taints the workers tolerate.", of: toleration),
            "affinity": .opaqueObject("A core/v1 Affinity for the worker Pods, passed through unchanged."),
            "priorityClassName": .string(
                "PriorityClass of the worker Pods.",
                pattern: ValidationPatterns.dns1123Subdomain, maxLength: ValidationPatterns.dns1123SubdomainMaxLength),
            "serviceAccountName": .string(
                "ServiceAccount of the worker Pods. It needs `get` and `patch` on trainingjobs/status for "
                    + "the Ringmaster worker runtime to report progress.",
                pattern: ValidationPatterns.dns1123Subdomain, maxLength: ValidationPatterns.dns1123SubdomainMaxLength),
            "env": OpenAPISchema.array(
                "Extra environment variables of the worker container.", of: envVar, maxItems: maxEnvVars)
                .listMap(keys: ["name"]),
        ])

    static let toleration: OpenAPISchema = .object(
        "A core/v1 Toleration.",
        [
            "key": .string("The taint key; empty with operator Exists matches every taint."),
            "operator": .string("`Exists` or `Equal` (the default).", enum: ["Exists", "Equal"]),
            "value": .string("The taint value, for operator Equal."),
            "effect": .string(
                "The taint effect to match; all effects when empty.",
                enum: ["NoSchedule", "PreferNoSchedule", "NoExecute"]),
            "tolerationSeconds": .integer("For NoExecute: how long the Pod stays bound after the taint appears."),
        ])

    static func keySelector(_ what: String) -> OpenAPISchema {
        .object(
            "Selects a key of a \(what).", required: ["name", "key"],
            [
                "name": .string("Name of the \(what) in the job's namespace."),
                "key": .string("The key to select."),
                "optional": .boolean("Whether the \(what) or its key may be missing."),
            ])
    }

    static let envVar: OpenAPISchema = .object(
        "A core/v1 EnvVar.", required: ["name"],
        [
            "name": .string("Name of the variable.", pattern: ValidationPatterns.envVarName, minLength: 1),
            "value": .string("Value of the variable."),
            "valueFrom": .object(
                "Source of the variable's value, instead of value.",
                [
                    "secretKeyRef": keySelector("Secret"),
                    "configMapKeyRef": keySelector("ConfigMap"),
                    "fieldRef": .object(
                        "Selects a field of the Pod, such as metadata.name.", required: ["fieldPath"],
                        [
                            "apiVersion": .string("Version of the schema fieldPath is written in; v1 when unset."),
                            "fieldPath": .string("Path of the field to select."),
                        ]),
                    "resourceFieldRef": .opaqueObject(
                        "A core/v1 ResourceFieldSelector (a container's resource limit or request)."),
                ]),
        ])
        .rule("!(has(self.value) && has(self.valueFrom))", message: "set value or valueFrom, not both")

    // MARK: status

    static let status: OpenAPISchema = .object(
        "The observed state. The operator writes it, except progress, checkpoint, metrics and artifact "
            + "(written by worker rank 0) and ranks (each worker its own entry).",
        [
            "phase": .string(
                "One word: Pending, Running, Restarting, Succeeded, Failed or Suspended.",
                enum: TrainingJobPhase.knownRawValues),
            "conditions": OpenAPISchema.array(
                "Created is True once accepted; of Running, Restarting, Succeeded, Failed and Suspended exactly "
                    + "the one named by phase is True (none while Pending).",
                of: condition)
                .listMap(keys: ["type"]),
            "message": .string("The current state in words, one line."),
            "workers": .object(
                "How many worker Pods are in which state.",
                [
                    "active": .integer("Pods pending or running.", format: "int32"),
                    "ready": .integer("Pods running and ready.", format: "int32"),
                    "succeeded": .integer("Pods that exited with success.", format: "int32"),
                    "failed": .integer("Pods that failed.", format: "int32"),
                ]),
            "workersReady": .string("Ready workers over desired workers, such as 2/2."),
            "restartCount": .integer("Gang restarts so far.", format: "int32"),
            "disruptions": .integer(
                "How many of the gang restarts do not count toward backoffLimit: disruptions (eviction, preemption, "
                    + "node loss, a worker Pod deleted by someone else) and failures a failurePolicy rule marks "
                    + "RestartJobAndIgnoreBackoffLimit. restartCount minus disruptions is what backoffLimit limits.",
                format: "int32"),
            "startTime": .string("When the first worker Pods were created (RFC 3339).", format: "date-time"),
            "completionTime": .string("When the job Succeeded or Failed (RFC 3339).", format: "date-time"),
            "observedGeneration": .integer("The metadata.generation this status describes."),
            "progress": .object(
                "Live training progress, reported by worker rank 0.",
                [
                    "epoch": .integer("The epoch in progress, from 1.", format: "int32"),
                    "totalEpochs": .integer("Epochs to train in all.", format: "int32"),
                    "step": .integer("Optimizer steps since the start, restarts included."),
                    "loss": .number("Mean training loss over the recent steps."),
                    "accuracy": .number("Training accuracy (0 to 1) over the recent steps."),
                    "samplesPerSecond": .number("Training throughput over all workers."),
                    "lastUpdateTime": .string("When this progress was reported (RFC 3339).", format: "date-time"),
                    "lossDisplay": .string(
                        "loss rounded to four significant digits, for the LOSS column of kubectl get; written with "
                            + "loss in every report. Programs read loss."),
                    "accuracyDisplay": .string(
                        "accuracy as a percentage with two decimals, for the ACCURACY column of kubectl get; written "
                            + "with accuracy in every report. Programs read accuracy."),
                ]),
            "checkpoint": .object(
                "The newest complete checkpoint.",
                [
                    "step": .integer("Optimizer step the checkpoint was taken after."),
                    "path": .string("Path of the checkpoint in the worker containers."),
                    "time": .string("When it was written (RFC 3339).", format: "date-time"),
                ]),
            "failure": .object(
                "The last worker failure, kept after its Pod is gone.",
                [
                    "rank": .integer("Rank of the failed worker.", format: "int32"),
                    "pod": .string("Name of the failed Pod."),
                    "exitCode": .integer("Exit code of the worker container.", format: "int32"),
                    "reason": .string("Machine-readable cause, such as Error, OOMKilled or Evicted."),
                    "message": .string("The container's termination message or the Pod's status message."),
                ]),
            "metrics": .object(
                "The final evaluation, once the job Succeeded.",
                [
                    "testAccuracy": .number("Accuracy on the test set (0 to 1)."),
                    "testLoss": .number("Mean loss on the test set."),
                    "trainingSeconds": .number("Wall-clock seconds of training, restarts included."),
                    "samplesPerSecond": .number("Mean training throughput over all workers."),
                ]),
            "artifact": .object(
                "Where the trained model is.",
                [
                    "path": .string("Path of the model file in the worker containers."),
                    "claimName": .string("The PersistentVolumeClaim holding it."),
                ]),
            "ranks": .map(
                "Each worker's heartbeat, keyed by its rank (\"0\", \"1\", ...). Each worker merge-patches its own "
                    + "entry every few seconds while stall detection (runPolicy.progressDeadlineSeconds) is on; "
                    + "a stalled ring is blamed on the rank whose heartbeat stopped, or else on the one its peers wait for. "
                    + "Entries of an older restart attempt are left in place and ignored.",
                values: rank),
        ])

    static let rank: OpenAPISchema = .object(
        "One worker's heartbeat.",
        [
            "attempt": .integer("The restart attempt of the worker that wrote the entry.", format: "int32"),
            "step": .integer("Optimizer steps this rank has finished, restarts included."),
            "heartbeatTime": .string("When the worker wrote the entry (RFC 3339, the worker's clock).", format: "date-time"),
            "activity": .string(
                "What the rank is doing: Joining (connecting to its peers), Computing (its own work: "
                    + "data, forward and backward passes, checkpoints), AllReduce, Broadcast or Barrier (waiting for "
                    + "its peers in a collective), Finished. Not an enum on purpose: a worker image newer than "
                    + "this CRD may report an activity it does not know yet."),
            "activitySince": .string("Since when the rank has been doing it (RFC 3339, the worker's clock).", format: "date-time"),
        ])

    static let condition: OpenAPISchema = .object(
        "A metav1.Condition.", required: ["type", "status", "lastTransitionTime", "reason", "message"],
        [
            "type": .string("Created, Running, Restarting, Succeeded, Failed or Suspended.", maxLength: 316),
            "status": .string("True, False or Unknown.", enum: ["True", "False", "Unknown"]),
            "observedGeneration": .integer("The metadata.generation the condition was set from.", minimum: 0),
            "lastTransitionTime": .string("When status last changed (RFC 3339).", format: "date-time"),
            "reason": .string("Machine-readable CamelCase reason.", maxLength: 1024),
            "message": .string("Human-readable details.", maxLength: 32768),
        ])
}

extension OpenAPISchema {
    /// The same schema with another description.
    func describing(_ description: String) -> OpenAPISchema {
        var copy = self
        copy.description = description
        return copy
    }
}
