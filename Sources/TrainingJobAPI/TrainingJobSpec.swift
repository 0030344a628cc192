import KubeClient

/// `spec` of a TrainingJob: what to train, on how many workers, and how.
///
/// Decoding fills every absent defaulted field from `TrainingJobDefaults`
/// (the same values the CRD declares), so a decoded spec is always complete;
/// optional properties are the ones without a default.
public struct TrainingJobSpec: Codable, Sendable, Hashable {
    /// Number of worker Pods (the ring's world size).
    public var workers: Int
    /// Processes a launcher such as `torchrun` starts in each worker Pod
    /// (`PET_NPROC_PER_NODE`); the process world size is
    /// `workers * processesPerWorker`. The Ringmaster worker image runs one.
    public var processesPerWorker: Int
    /// The worker container image.
    public var image: String
    /// Overrides the image's entrypoint (bring-your-own images).
    public var command: [String]?
    /// Overrides the image's arguments (bring-your-own images).
    public var args: [String]?
    /// Resources of every worker container (`cpu`, `memory`, `nvidia.com/gpu`).
    public var resources: ResourceRequirements?
    public var model: ModelSpec
    public var hyperparameters: HyperparametersSpec
    public var dataset: DatasetSpec
    public var storage: StorageSpec
    public var runPolicy: RunPolicy
    public var template: PodTemplateOverlay?

    public init(
        workers: Int = TrainingJobDefaults.workers,
        image: String = TrainingJobDefaults.image,
        command: [String]? = nil,
        args: [String]? = nil,
        resources: ResourceRequirements? = nil,
        model: ModelSpec = ModelSpec(),
        hyperparameters: HyperparametersSpec = HyperparametersSpec(),
        dataset: DatasetSpec = DatasetSpec(),
        storage: StorageSpec = StorageSpec(),
        runPolicy: RunPolicy = RunPolicy(),
        template: PodTemplateOverlay? = nil,
        processesPerWorker: Int = TrainingJobDefaults.processesPerWorker
    ) {
        self.workers = workers
        self.processesPerWorker = processesPerWorker
        self.image = image
        self.command = command
        self.args = args
        self.resources = resources
        self.model = model
        self.hyperparameters = hyperparameters
        self.dataset = dataset
        self.storage = storage
        self.runPolicy = runPolicy
        self.template = template
    }

    /// Whether the job runs the Ringmaster worker runtime (as opposed to a
    /// bring-your-own image with its own command).
    public var usesDefaultWorkerImage: Bool { image == TrainingJobDefaults.image && command == nil }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case workers, processesPerWorker, image, command, args, resources, model, hyperparameters, dataset, storage, runPolicy, template
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        workers = try c.decodeIfPresent(Int.self, forKey: .workers) ?? TrainingJobDefaults.workers
        processesPerWorker = try c.decodeIfPresent(Int.self, forKey: .processesPerWorker)
            ?? TrainingJobDefaults.processesPerWorker
        image = try c.decodeIfPresent(String.self, forKey: .image) ?? TrainingJobDefaults.image
        command = try c.decodeIfPresent([String].self, forKey: .command)
        args = try c.decodeIfPresent([String].self, forKey: .args)
        resources = try c.decodeIfPresent(ResourceRequirements.self, forKey: .resources)
        model = try c.decodeIfPresent(ModelSpec.self, forKey: .model) ?? ModelSpec()
        hyperparameters = try c.decodeIfPresent(HyperparametersSpec.self, forKey: .hyperparameters) ?? HyperparametersSpec()
        dataset = try c.decodeIfPresent(DatasetSpec.self, forKey: .dataset) ?? DatasetSpec()
        storage = try c.decodeIfPresent(StorageSpec.self, forKey: .storage) ?? StorageSpec()
        runPolicy = try c.decodeIfPresent(RunPolicy.self, forKey: .runPolicy) ?? RunPolicy()
        template = try c.decodeIfPresent(PodTemplateOverlay.self, forKey: .template)
    }
}
