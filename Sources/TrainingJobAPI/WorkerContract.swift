/// The environment contract between the operator, which builds worker Pods,
/// and `ringmaster-worker`, which runs in them.
///
/// Both sides go through this one type, so the names cannot drift. The
/// `RANK`, `WORLD_SIZE`, `MASTER_ADDR` and `MASTER_PORT` variables follow
/// PyTorch's conventions so that a bring-your-own DDP image runs unchanged,
/// and the `PET_*` variables are those Kubeflow Trainer's torch runtime sets,
/// which `torchrun` reads as the defaults of its options.
///
/// With `P` processes per worker and `N` workers, worker `i` gets:
/// `PET_NNODES=N`, `PET_NPROC_PER_NODE=P`, `PET_NODE_RANK=i`,
/// `PET_MASTER_ADDR`/`PET_MASTER_PORT` equal to `MASTER_ADDR`/`MASTER_PORT`,
/// `WORLD_SIZE=N*P` (every process of the job) and `RANK=i` (the worker's
/// index), as Kubeflow's PyTorchJob sets them. `torchrun` overwrites `RANK`
/// and `WORLD_SIZE` in each process it starts (`RANK=i*P+local rank`), so a
/// trainer under `torchrun` sees its process rank; a trainer started without
/// a launcher sees `RANK=i` and `WORLD_SIZE=N`, which is its process rank
/// and world size exactly when `P` is 1.
public struct WorkerEnvironment: Sendable, Hashable, Codable {
    public enum Key {
        /// The worker's index (the process rank when there is one process per worker).
        public static let rank = "RANK"
        /// Every process of the job: workers times processes per worker.
        public static let worldSize = "WORLD_SIZE"
        public static let masterAddress = "MASTER_ADDR"
        public static let masterPort = "MASTER_PORT"
        /// torchrun's `--nnodes`: the number of workers.
        public static let torchrunNodes = "PET_NNODES"
        /// torchrun's `--nproc-per-node`: `spec.processesPerWorker`.
        public static let torchrunProcessesPerNode = "PET_NPROC_PER_NODE"
        /// torchrun's `--node-rank`: the worker's index.
        public static let torchrunNodeRank = "PET_NODE_RANK"
        /// torchrun's `--master-addr`: the same as `MASTER_ADDR`.
        public static let torchrunMasterAddress = "PET_MASTER_ADDR"
        /// torchrun's `--master-port`: the same as `MASTER_PORT`.
        public static let torchrunMasterPort = "PET_MASTER_PORT"
        /// The `PET_*` variables the operator sets.
        public static let torchrunKeys: Set<String> = [
            torchrunNodes, torchrunProcessesPerNode, torchrunNodeRank, torchrunMasterAddress, torchrunMasterPort,
        ]
        public static let jobName = "RINGMASTER_JOB_NAME"
        public static let jobNamespace = "RINGMASTER_JOB_NAMESPACE"
        public static let jobUID = "RINGMASTER_JOB_UID"
        /// Comma-separated `host:port` of every rank, in rank order.
        public static let peers = "RINGMASTER_PEERS"
        public static let ringPort = "RINGMASTER_RING_PORT"
        public static let authToken = "RINGMASTER_AUTH_TOKEN"
        public static let restartAttempt = "RINGMASTER_RESTART_ATTEMPT"
        public static let checkpointDirectory = "RINGMASTER_CHECKPOINT_DIR"
        public static let artifactDirectory = "RINGMASTER_ARTIFACT_DIR"
        public static let checkpointEverySteps = "RINGMASTER_CHECKPOINT_EVERY_STEPS"
        /// `builtin` (a data set the runtime knows by name) or `path`.
        public static let datasetSource = "RINGMASTER_DATASET_SOURCE"
        /// For `builtin`: the data set's name, for example `fashion-mnist`.
        public static let datasetName = "RINGMASTER_DATASET_NAME"
        /// For `path`: a directory (IDX) or a file (CSV).
        public static let datasetPath = "RINGMASTER_DATASET_PATH"
        /// `idx` or `csv`.
        public static let datasetFormat = "RINGMASTER_DATASET_FORMAT"
        public static let datasetLabelColumn = "RINGMASTER_DATASET_LABEL_COLUMN"
        /// Use at most this many training samples (0: all); for quick runs.
        public static let datasetTrainLimit = "RINGMASTER_DATASET_TRAIN_LIMIT"
        public static let datasetTestLimit = "RINGMASTER_DATASET_TEST_LIMIT"
        /// Comma-separated hidden layer widths, for example `256,128`.
        public static let hiddenLayers = "RINGMASTER_HIDDEN_LAYERS"
        public static let epochs = "RINGMASTER_EPOCHS"
        /// The global batch size, split evenly over the ranks.
        public static let batchSize = "RINGMASTER_BATCH_SIZE"
        public static let learningRate = "RINGMASTER_LEARNING_RATE"
        /// `constant` (the default) or `cosine` (decay from the learning rate
        /// to 0 over all the run's steps).
        public static let learningRateSchedule = "RINGMASTER_LEARNING_RATE_SCHEDULE"
        /// `sgd` (with momentum) or `adam`.
        public static let optimizer = "RINGMASTER_OPTIMIZER"
        public static let momentum = "RINGMASTER_MOMENTUM"
        public static let seed = "RINGMASTER_SEED"
        /// How often rank 0 writes progress to the TrainingJob's status.
        public static let progressIntervalSeconds = "RINGMASTER_PROGRESS_INTERVAL_SECONDS"
        /// How often every rank writes its heartbeat entry in the TrainingJob's
        /// `status.ranks` (seconds; 0 or unset: never). The operator sets it
        /// when the job has `runPolicy.progressDeadlineSeconds`.
        public static let heartbeatSeconds = "RINGMASTER_HEARTBEAT_SECONDS"
        /// How long a collective may wait on a peer before the ring is declared broken.
        public static let peerTimeoutSeconds = "RINGMASTER_PEER_TIMEOUT_SECONDS"
        /// Where the worker writes its one-line termination message (default
        /// `/dev/termination-log`, Kubernetes' `terminationMessagePath`).
        public static let terminationMessagePath = "RINGMASTER_TERMINATION_MESSAGE_PATH"
        /// How long a worker waits for all peers to join the ring (default:
        /// twice the peer timeout, at least 60 seconds); read by the worker
        /// from its environment, optional.
        public static let connectTimeoutSeconds = "RINGMASTER_CONNECT_TIMEOUT_SECONDS"
    }

    /// The worker's index (`RANK`, `PET_NODE_RANK`).
    public var rank: Int
    /// `WORLD_SIZE`: `nodes * processesPerNode`.
    public var worldSize: Int
    /// `PET_NNODES`: the number of workers.
    public var nodes: Int
    /// `PET_NPROC_PER_NODE`; the Ringmaster worker requires 1.
    public var processesPerNode: Int
    public var masterAddress: String
    public var masterPort: Int
    public var jobName: String
    public var jobNamespace: String
    public var jobUID: String
    public var peers: [String]
    public var ringPort: Int
    public var authToken: String
    public var restartAttempt: Int
    public var checkpointDirectory: String
    public var artifactDirectory: String
    public var checkpointEverySteps: Int
    public var datasetSource: String
    public var datasetName: String
    public var datasetPath: String
    public var datasetFormat: String
    public var datasetLabelColumn: String
    public var datasetTrainLimit: Int
    public var datasetTestLimit: Int
    public var hiddenLayers: [Int]
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    /// `constant` or `cosine`; the worker rejects anything else.
    public var learningRateSchedule: String
    public var optimizer: String
    public var momentum: Double
    public var seed: UInt64
    public var progressIntervalSeconds: Double
    public var peerTimeoutSeconds: Double
    /// `RINGMASTER_HEARTBEAT_SECONDS`; 0 means no heartbeats.
    public var heartbeatSeconds: Double

    public init(
        rank: Int, worldSize: Int, masterAddress: String, masterPort: Int,
        jobName: String, jobNamespace: String, jobUID: String,
        peers: [String], ringPort: Int, authToken: String, restartAttempt: Int,
        checkpointDirectory: String, artifactDirectory: String, checkpointEverySteps: Int,
        datasetSource: String, datasetName: String, datasetPath: String, datasetFormat: String,
        datasetLabelColumn: String, datasetTrainLimit: Int, datasetTestLimit: Int,
        hiddenLayers: [Int], epochs: Int, batchSize: Int, learningRate: Double,
        optimizer: String, momentum: Double, seed: UInt64,
        progressIntervalSeconds: Double, peerTimeoutSeconds: Double, heartbeatSeconds: Double = 0,
        learningRateSchedule: String = "constant", processesPerNode: Int = 1
    ) {
        self.rank = rank
        self.worldSize = worldSize
        self.processesPerNode = processesPerNode
        self.nodes = processesPerNode > 0 ? worldSize / processesPerNode : worldSize
        self.masterAddress = masterAddress
        self.masterPort = masterPort
        self.jobName = jobName
        self.jobNamespace = jobNamespace
        self.jobUID = jobUID
        self.peers = peers
        self.ringPort = ringPort
        self.authToken = authToken
        self.restartAttempt = restartAttempt
        self.checkpointDirectory = checkpointDirectory
        self.artifactDirectory = artifactDirectory
        self.checkpointEverySteps = checkpointEverySteps
        self.datasetSource = datasetSource
        self.datasetName = datasetName
        self.datasetPath = datasetPath
        self.datasetFormat = datasetFormat
        self.datasetLabelColumn = datasetLabelColumn
        self.datasetTrainLimit = datasetTrainLimit
        self.datasetTestLimit = datasetTestLimit
        self.hiddenLayers = hiddenLayers
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.learningRateSchedule = learningRateSchedule
        self.optimizer = optimizer
        self.momentum = momentum
        self.seed = seed
        self.progressIntervalSeconds = progressIntervalSeconds
        self.peerTimeoutSeconds = peerTimeoutSeconds
        self.heartbeatSeconds = heartbeatSeconds
    }

    /// The variables to set in a worker container, except the auth token,
    /// which the operator passes from the job's Secret (`secretKeyRef`).
    public var variables: [(name: String, value: String)] {
        [
            (Key.rank, String(rank)),
            (Key.worldSize, String(worldSize)),
            (Key.masterAddress, masterAddress),
            (Key.masterPort, String(masterPort)),
            (Key.torchrunNodes, String(nodes)),
            (Key.torchrunProcessesPerNode, String(processesPerNode)),
            (Key.torchrunNodeRank, String(rank)),
            (Key.torchrunMasterAddress, masterAddress),
            (Key.torchrunMasterPort, String(masterPort)),
            (Key.jobName, jobName),
            (Key.jobNamespace, jobNamespace),
            (Key.jobUID, jobUID),
            (Key.peers, peers.joined(separator: ",")),
            (Key.ringPort, String(ringPort)),
            (Key.restartAttempt, String(restartAttempt)),
            (Key.checkpointDirectory, checkpointDirectory),
            (Key.artifactDirectory, artifactDirectory),
            (Key.checkpointEverySteps, String(checkpointEverySteps)),
            (Key.datasetSource, datasetSource),
            (Key.datasetName, datasetName),
            (Key.datasetPath, datasetPath),
            (Key.datasetFormat, datasetFormat),
            (Key.datasetLabelColumn, datasetLabelColumn),
            (Key.datasetTrainLimit, String(datasetTrainLimit)),
            (Key.datasetTestLimit, String(datasetTestLimit)),
            (Key.hiddenLayers, hiddenLayers.map(String.init).joined(separator: ",")),
            (Key.epochs, String(epochs)),
            (Key.batchSize, String(batchSize)),
            (Key.learningRate, String(learningRate)),
            (Key.learningRateSchedule, learningRateSchedule),
            (Key.optimizer, optimizer),
            (Key.momentum, String(momentum)),
            (Key.seed, String(seed)),
            (Key.progressIntervalSeconds, String(progressIntervalSeconds)),
            (Key.peerTimeoutSeconds, String(peerTimeoutSeconds)),
            (Key.heartbeatSeconds, String(heartbeatSeconds)),
        ]
    }

    /// Reads the contract from a process environment. Throws one error that
    /// lists every missing or malformed variable.
    public init(environment: [String: String]) throws(WorkerEnvironmentError) {
        var problems: [String] = []
        func string(_ key: String, default fallback: String? = nil) -> String {
            if let value = environment[key] { return value }
            if let fallback { return fallback }
            problems.append("\(key) is not set")
            return ""
        }
        func integer(_ key: String, default fallback: Int? = nil) -> Int {
            guard let raw = environment[key] else {
                if let fallback { return fallback }
                problems.append("\(key) is not set")
                return 0
            }
            guard let value = Int(raw) else {
                problems.append("\(key) must be an integer, got \"\(raw)\"")
                return 0
            }
            return value
        }
        func number(_ key: String, default fallback: Double) -> Double {
            guard let raw = environment[key] else { return fallback }
            guard let value = Double(raw), value.isFinite else {
                problems.append("\(key) must be a number, got \"\(raw)\"")
                return fallback
            }
            return value
        }
        rank = integer(Key.rank)
        worldSize = integer(Key.worldSize)
        processesPerNode = integer(Key.torchrunProcessesPerNode, default: 1)
        nodes = integer(Key.torchrunNodes, default: worldSize)
        if processesPerNode != 1 {
            problems.append("\(Key.torchrunProcessesPerNode) must be 1: ringmaster-worker runs one process per worker, got \(processesPerNode)")
        }
        masterAddress = string(Key.masterAddress, default: "127.0.0.1")
        masterPort = integer(Key.masterPort, default: 29500)
        jobName = string(Key.jobName, default: "")
        jobNamespace = string(Key.jobNamespace, default: "")
        jobUID = string(Key.jobUID, default: "")
        let peerList = string(Key.peers)
        peers = peerList.split(separator: ",").map { String($0) }
        ringPort = integer(Key.ringPort, default: 29400)
        authToken = string(Key.authToken, default: "")
        restartAttempt = integer(Key.restartAttempt, default: 0)
        checkpointDirectory = string(Key.checkpointDirectory, default: "")
        artifactDirectory = string(Key.artifactDirectory, default: "")
        checkpointEverySteps = integer(Key.checkpointEverySteps, default: 0)
        datasetSource = string(Key.datasetSource, default: "builtin")
        datasetName = string(Key.datasetName, default: "fashion-mnist")
        datasetPath = string(Key.datasetPath, default: "")
        datasetFormat = string(Key.datasetFormat, default: "idx")
        datasetLabelColumn = string(Key.datasetLabelColumn, default: "label")
        datasetTrainLimit = integer(Key.datasetTrainLimit, default: 0)
        datasetTestLimit = integer(Key.datasetTestLimit, default: 0)
        let layers = string(Key.hiddenLayers, default: "256,128")
        hiddenLayers = layers.split(separator: ",").compactMap { Int($0) }
        if hiddenLayers.count != layers.split(separator: ",").count {
            problems.append("\(Key.hiddenLayers) must be comma-separated integers, got \"\(layers)\"")
        }
        epochs = integer(Key.epochs, default: 1)
        batchSize = integer(Key.batchSize, default: 64)
        learningRate = number(Key.learningRate, default: 0.01)
        learningRateSchedule = string(Key.learningRateSchedule, default: "constant")
        optimizer = string(Key.optimizer, default: "sgd")
        momentum = number(Key.momentum, default: 0.9)
        let rawSeed = string(Key.seed, default: "0")
        if let parsed = UInt64(rawSeed) {
            seed = parsed
        } else {
            problems.append("\(Key.seed) must be a non-negative integer, got \"\(rawSeed)\"")
            seed = 0
        }
        progressIntervalSeconds = number(Key.progressIntervalSeconds, default: 5)
        peerTimeoutSeconds = number(Key.peerTimeoutSeconds, default: 30)
        heartbeatSeconds = number(Key.heartbeatSeconds, default: 0)
        if heartbeatSeconds < 0 { problems.append("\(Key.heartbeatSeconds) must not be negative, got \(heartbeatSeconds)") }
        if worldSize < 1 { problems.append("\(Key.worldSize) must be at least 1, got \(worldSize)") }
        if rank < 0 || (worldSize >= 1 && rank >= worldSize) {
            problems.append("\(Key.rank) must be in 0..<\(Key.worldSize) (\(worldSize)), got \(rank)")
        }
        if worldSize >= 1 && peers.count != worldSize {
            problems.append("\(Key.peers) must list \(worldSize) peers, got \(peers.count)")
        }
        if !problems.isEmpty { throw WorkerEnvironmentError(problems: problems) }
    }
}

/// Every problem found in a worker's environment, reported at once.
public struct WorkerEnvironmentError: Error, Sendable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { "invalid worker environment: " + problems.joined(separator: "; ") }
}

/// The exit codes of `ringmaster-worker`; the operator decides from them
/// whether a failed worker restarts the ring or fails the job.
public enum WorkerExitCode: Int32, Sendable, CaseIterable {
    /// Training finished and the artifacts are written.
    case success = 0
    /// An unexpected error; retried like a ring failure.
    case unexpected = 1
    /// A peer died, timed out or could not be reached: restart the ring.
    case ringFailure = 10
    /// Bad input (missing data set, malformed file, invalid hyperparameters):
    /// retrying cannot help, so the job fails at once.
    case invalidInput = 20

    /// Whether the operator should restart the ring after this exit code.
    public static func isRetryable(_ code: Int32) -> Bool {
        code != invalidInput.rawValue
    }
}
